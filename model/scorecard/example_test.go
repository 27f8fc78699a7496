package scorecard_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/dsopilot/dsopilot/model/scorecard"
)

// A scorecard for late payment from two invoice features: days the
// customer was late on its previous invoice (missing for new customers)
// and the invoice amount, which carries no signal here.
func ExampleFit() {
	r := rand.New(rand.NewPCG(1, 2))
	var X [][]float64
	var y []float64
	for range 5000 {
		prevLate := float64(r.IntN(45))
		eta := -2 + prevLate/15 // later before, later again
		if r.Float64() < 0.1 {
			prevLate = math.NaN() // new customer: no history
			eta = -0.5
		}
		amount := math.Round(r.ExpFloat64() * 2000)
		late := 0.0
		if r.Float64() < 1/(1+math.Exp(-eta)) {
			late = 1
		}
		X = append(X, []float64{prevLate, amount})
		y = append(y, late)
	}

	s, err := scorecard.Fit(context.Background(), X, y, []string{"prev_days_late", "amount"}, scorecard.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(s.Table())

	total, _ := s.Points([]float64{2, 1500})
	fmt.Printf("customer paying 2 days late last time: %.0f points\n", total)
	total, _ = s.Points([]float64{40, 1500})
	fmt.Printf("customer paying 40 days late last time: %.0f points\n", total)
	// Output:
	// 600 points at odds 50:1 (good:bad), 20 points to double the odds
	//   feature                  bin  count  bad rate     WOE  points
	//   prev_days_late         < 5.5    655     0.137  -1.349     540
	//   prev_days_late   [5.5, 15.5)    971     0.239  -0.673     520
	//   prev_days_late  [15.5, 24.5)    874     0.314  -0.299     510
	//   prev_days_late  [24.5, 35.5)   1088     0.489   0.440     488
	//   prev_days_late       >= 35.5    910     0.647   1.090     470
	//   prev_days_late       missing    502     0.376  -0.020     502
	// dropped amount: single bin: no significant split
	// customer paying 2 days late last time: 540 points
	// customer paying 40 days late last time: 470 points
}
