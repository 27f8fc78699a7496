package peers

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
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
	for i := range n {
		out = append(out, Peer{ID: fmt.Sprintf("C%d", i), Settled: float64(1 + r.IntN(20)), Profile: Profile{Segment: []string{"a", "b", "c"}[r.IntN(3)], Country: []string{"DE", "FR"}[r.IntN(2)],
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
	tree, err := New(peers, 7, 10)
	if err != nil {
		t.Fatal(err)
	}
	ref := &Set{Peers: peers, K: 7, Shrink: 10, newSearch: func(p [][]float64) (Searcher, error) { return bruteForce(p), nil }}
	for i, q := range randomPeers(r, 200) {
		exclude := fmt.Sprintf("C%d", i) // half of them are peers
		a, err := tree.Prior(q.Profile, exclude)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ref.Prior(q.Profile, exclude)
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
		peers = append(peers, Peer{Profile: Profile{Segment: "smb", Country: "DE", Channel: "paper", Amount: 1000 + float64(i), Terms: 30}, Late: 0.8, Settled: 10, ID: fmt.Sprint("s", i)},
			Peer{ID: fmt.Sprint("e", i), Settled: 10, Profile: Profile{Segment: "ent", Country: "FR", Channel: "edi", Amount: 90000 + float64(i), Terms: 60}, Late: 0.1})
	}
	s, err := New(peers, 5, 0)
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
		if got, err := s.Prior(c.q, ""); err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Prior(%+v) = %v, %v; want %v", c.q, got, err, c.want)
		}
	}
}

// A worked example: the pooled rate of the nearest peers other than the
// one left out, shrunk toward the segment's pooled rate without it.
func TestPriorLeavesOneOutAndShrinks(t *testing.T) {
	ps := []Peer{
		{ID: "a", Profile: Profile{Segment: "smb", Amount: 100}, Late: 0.5, Settled: 4},   // 2 late
		{ID: "b", Profile: Profile{Segment: "smb", Amount: 110}, Late: 1, Settled: 2},     // 2 late
		{ID: "c", Profile: Profile{Segment: "smb", Amount: 120}, Late: 0.25, Settled: 8},  // 2 late
		{ID: "d", Profile: Profile{Segment: "ent", Amount: 9000}, Late: 0.1, Settled: 10}, // 1 late
	}
	s, err := New(ps, 2, 4)
	if err != nil {
		t.Fatal(err)
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-12 }
	for _, c := range []struct {
		seg, exclude string
		want         float64
	}{
		{"smb", "", 6.0 / 14},
		{"smb", "a", 4.0 / 10},
		{"ent", "", 0.1},
		{"ent", "d", 6.0 / 14}, // no other ent peer: all the others
		{"none", "", 7.0 / 24}, // an unknown segment: all peers
	} {
		if got := s.SegmentRate(c.seg, c.exclude); !near(got, c.want) {
			t.Errorf("SegmentRate(%q, %q) = %v, want %v", c.seg, c.exclude, got, c.want)
		}
	}
	// a's two nearest others are b and c: (2+2) late of 10, shrunk by 4
	// invoices toward smb without a, 4/10.
	want := (4 + 4*(4.0/10)) / (10 + 4)
	if got, ok, err := s.PriorOf("a"); err != nil || !ok || !near(got, want) {
		t.Errorf("PriorOf(a) = %v, %v, %v; want %v", got, ok, err, want)
	}
	if got, err := s.Prior(ps[0].Profile, "a"); err != nil || !near(got, want) {
		t.Errorf("Prior(a's profile, without a) = %v, %v; want %v", got, err, want)
	}
	// Without leaving a out, a itself is the nearest: a and b, 4 of 6.
	want = (4 + 4*(6.0/14)) / (6 + 4)
	if got, err := s.Prior(ps[0].Profile, ""); err != nil || !near(got, want) {
		t.Errorf("Prior(a's profile) = %v, %v; want %v", got, err, want)
	}
	if _, ok, _ := s.PriorOf("zz"); ok {
		t.Error("PriorOf a stranger answered")
	}
	one, err := New(ps[:1], 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := one.Prior(ps[0].Profile, "a"); err != nil || !math.IsNaN(got) {
		t.Errorf("the only peer left out: %v, %v; want NaN", got, err)
	}
}

// A customer's own late share never enters its own prior: changing it
// leaves PriorOf unchanged (and changes others' priors, or the test would
// prove nothing).
func TestPriorOfIgnoresTheCustomersOwnLateShare(t *testing.T) {
	ps := randomPeers(rand.New(rand.NewPCG(9, 10)), 40)
	base, err := New(ps, 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	moved := 0
	for i := range ps {
		alt := slices.Clone(ps)
		alt[i].Late = 1 - alt[i].Late
		s, err := New(alt, 3, 10)
		if err != nil {
			t.Fatal(err)
		}
		a, _, _ := base.PriorOf(ps[i].ID)
		b, _, _ := s.PriorOf(ps[i].ID)
		if math.Abs(a-b) > 1e-12 {
			t.Errorf("peer %s: own prior %v with its late share %v, %v with %v", ps[i].ID, a, ps[i].Late, b, alt[i].Late)
		}
		for j := range ps {
			x, _, _ := base.PriorOf(ps[j].ID)
			y, _, _ := s.PriorOf(ps[j].ID)
			if j != i && x != y {
				moved++
				break
			}
		}
	}
	if moved < len(ps)/2 {
		t.Errorf("changing a peer's late share moved the others' priors in only %d of %d cases", moved, len(ps))
	}
}

func TestSetRoundTripsThroughJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	s, err := New(randomPeers(r, 50), 3, 10)
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
		a, _ := s.Prior(q.Profile, "C3")
		b, err := back.Prior(q.Profile, "C3")
		if err != nil || a != b {
			t.Fatalf("after JSON: %v, %v; before %v", b, err, a)
		}
	}
}

func TestErrors(t *testing.T) {
	if _, err := New(nil, 3, 0); !errors.Is(err, ErrNoPeers) {
		t.Errorf("no peers: %v", err)
	}
	if _, err := New(randomPeers(rand.New(rand.NewPCG(5, 6)), 3), 0, 0); err == nil {
		t.Error("k = 0 accepted")
	}
	if _, err := New(randomPeers(rand.New(rand.NewPCG(5, 6)), 3), 2, -1); err == nil {
		t.Error("shrink -1 accepted")
	}
	twice := randomPeers(rand.New(rand.NewPCG(5, 6)), 3)
	twice[1].ID = twice[0].ID
	if _, err := New(twice, 2, 0); err == nil {
		t.Error("a peer twice accepted")
	}
	noneSettled := randomPeers(rand.New(rand.NewPCG(5, 6)), 3)
	noneSettled[2].Settled = 0
	if _, err := New(noneSettled, 2, 0); err == nil {
		t.Error("a peer without settlements accepted")
	}
	// golearn panics on a query of the wrong width (its distance takes
	// matrices of both sizes): an error, not a crash.
	s, err := New(randomPeers(rand.New(rand.NewPCG(5, 6)), 10), 3, 0)
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
	s, err := New(randomPeers(r, 200), peerTestK, 10)
	if err != nil {
		b.Fatal(err)
	}
	qs := randomPeers(r, 64)
	i := 0
	for b.Loop() {
		if _, err := s.Prior(qs[i%len(qs)].Profile, ""); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

const peerTestK = 5
