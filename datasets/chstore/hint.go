package chstore

// BatchHint is the batch size importers should send: every INSERT becomes a
// part that the server later merges, so fewer, larger inserts cost the
// server several times less CPU than many small ones.
func (s *Store) BatchHint() int { return 1_000_000 }
