package peers

import (
	"cmp"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteForce is an exhaustive Searcher, the reference golearn's tree must
// agree with.
type bruteForce [][]float64

func (b bruteForce) Nearest(q []float64, k int) ([]int, error) {
	idx := make([]int, len(b))
	d := make([]float64, len(b))
	for i, p := range b {
		idx[i] = i
		for j := range p {
			d[i] += (p[j] - q[j]) * (p[j] - q[j])
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int { return cmp.Compare(d[x], d[y]) })
	return idx[:k], nil
}

func randomPeers(r *rand.Rand, n int) []Peer {
	var out []Peer
	for range n {
		out = append(out, Peer{Profile: Profile{Segment: []string{"a", "b", "c"}[r.IntN(3)], Country: []string{"DE", "FR"}[r.IntN(2)],
			Channel: []string{"paper", "edi"}[r.IntN(2)], Amount: math.Exp(5 + 2*r.NormFloat64()), Terms: float64(15 * (1 + r.IntN(4)))},
			Late: r.Float64()})
	}
	return out
}

// golearn's k-d tree finds the same neighbours as an exhaustive search
// (continuous amounts leave no ties), so the priors agree exactly.
func TestPriorsAgreeWithExhaustiveSearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	peers := randomPeers(r, 300)
	tree, err := New(peers, 7)
	if err != nil {
		t.Fatal(err)
	}
	ref := &Set{Peers: peers, K: 7, newSearch: func(p [][]float64) (Searcher, error) { return bruteForce(p), nil }}
	for _, q := range randomPeers(r, 200) {
		a, err := tree.Prior(q.Profile)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ref.Prior(q.Profile)
		if err != nil {
			t.Fatal(err)
		}
		if a != b {
			t.Fatalf("prior of %+v: tree %v, exhaustive %v", q.Profile, a, b)
		}
	}
}

// The nearest peers are the alike ones: a query exactly like one group of
// peers gets that group's late share.
func TestPriorIsTheAlikePeersLateShare(t *testing.T) {
	var peers []Peer
	for i := range 10 {
		peers = append(peers, Peer{Profile: Profile{Segment: "smb", Country: "DE", Channel: "paper", Amount: 1000 + float64(i), Terms: 30}, Late: 0.8},
			Peer{Profile: Profile{Segment: "ent", Country: "FR", Channel: "edi", Amount: 90000 + float64(i), Terms: 60}, Late: 0.1})
	}
	s, err := New(peers, 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q    Profile
		want float64
	}{
		{Profile{Segment: "smb", Country: "DE", Channel: "paper", Amount: 1200, Terms: 30}, 0.8},
		{Profile{Segment: "ent", Country: "FR", Channel: "edi", Amount: 70000, Terms: 60}, 0.1},
		// Unknown levels: only amount and terms tell.
		{Profile{Segment: "new", Country: "US", Channel: "", Amount: 95000, Terms: 60}, 0.1},
	} {
		if got, err := s.Prior(c.q); err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Prior(%+v) = %v, %v; want %v", c.q, got, err, c.want)
		}
	}
}

func TestSetRoundTripsThroughJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s, err := New(randomPeers(r, 50), 3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back Set
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	for _, q := range randomPeers(r, 20) {
		a, _ := s.Prior(q.Profile)
		b, err := back.Prior(q.Profile)
		if err != nil || a != b {
			t.Fatalf("after JSON: %v, %v; before %v", b, err, a)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := New(nil, 3); !errors.Is(err, ErrNoPeers) {
		t.Errorf("no peers: %v", err)
	}
	if _, err := New(randomPeers(rand.New(rand.NewPCG(5, 6)), 3), 0); err == nil {
		t.Error("k = 0 accepted")
	}
	// golearn panics on a query of the wrong width (its distance takes
	// matrices of both sizes): an error, not a crash.
	s, err := New(randomPeers(rand.New(rand.NewPCG(5, 6)), 10), 3)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.search.Nearest([]float64{1}, 2); err == nil {
		t.Error("a query of the wrong width gave no error")
	}
	if err := guard("test", func() error { panic("boom") }); !errors.Is(err, ErrGolearn) {
		t.Errorf("guard: %v", err)
	}
}

// BenchmarkPrior times one prior over 200 peers (golearn's k-d tree):
//
//	go test ./model/peers -run '^$' -bench Prior
func BenchmarkPrior(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	s, err := New(randomPeers(r, 200), peerTestK)
	if err != nil {
		b.Fatal(err)
	}
	qs := randomPeers(r, 64)
	i := 0
	for b.Loop() {
		if _, err := s.Prior(qs[i%len(qs)].Profile); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

const peerTestK = 5
