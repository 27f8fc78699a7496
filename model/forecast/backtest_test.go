package forecast

import (
	"encoding/json"
	"math"
	"testing"
)

// TestWeekWithoutReceiptsHasNoWAPE: a week in which nothing was received
// has no WAPE (NaN, null in JSON), not a 0 that reads as a perfect
// forecast, whether the forecast was 0 too or not; the other weeks and the
// totals keep theirs.
func TestWeekWithoutReceiptsHasNoWAPE(t *testing.T) {
	a := newAccumulator(3)
	a.add(0, 90, 100)
	a.add(1, 0, 0)  // 0 against 0
	a.add(2, 40, 0) // 40 against nothing
	s := a.score()
	if math.Abs(s.WAPE-50.0/100) > 1e-12 || math.Abs(s.Bias-(30.0/100)) > 1e-12 {
		t.Errorf("WAPE %v bias %v, want 0.5 and 0.3", s.WAPE, s.Bias)
	}
	if math.Abs(s.WAPEByWeek[0]-0.1) > 1e-12 || !math.IsNaN(s.WAPEByWeek[1]) || !math.IsNaN(s.WAPEByWeek[2]) {
		t.Fatalf("by week %v, want [0.1 NaN NaN]", s.WAPEByWeek)
	}
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"wape":0.5,"bias":0.3,"wape_by_week":[0.1,null,null]}`
	if string(b) != want {
		t.Errorf("JSON %s, want %s", b, want)
	}
	var back Score
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.WAPEByWeek) != 3 || back.WAPEByWeek[0] != 0.1 || !math.IsNaN(back.WAPEByWeek[1]) || !math.IsNaN(back.WAPEByWeek[2]) {
		t.Errorf("read back %v", back.WAPEByWeek)
	}
	if b, _ := json.Marshal(Score{}); string(b) != `{"wape":0,"bias":0,"wape_by_week":null}` {
		t.Errorf("empty score %s", b)
	}
}
