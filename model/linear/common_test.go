package linear

import (
	"context"
	"math"
	"testing"
)

func TestLossAndProb(t *testing.T) {
	for _, tc := range []struct{ z, sp, sig float64 }{
		{0, math.Ln2, 0.5},
		{800, 800, 1},
		{-800, 0, 0},
		{2, math.Log(1 + math.Exp(2)), 1 / (1 + math.Exp(-2))},
		{-3, math.Log(1 + math.Exp(-3)), 1 / (1 + math.Exp(3))},
	} {
		sp, sig := lossAndProb(tc.z)
		if math.Abs(sp-tc.sp) > 1e-14*(1+tc.sp) || math.Abs(sig-tc.sig) > 1e-15 || sigmoid(tc.z) != sig {
			t.Errorf("z=%v: got (%v, %v), want (%v, %v)", tc.z, sp, sig, tc.sp, tc.sig)
		}
	}
}

// A line search that gives up far from the optimum is an error, not an
// answer; one that gives up at the optimum (rounding) is accepted.
func TestMinimizeRefusesFailuresAwayFromTheOptimum(t *testing.T) {
	ctx := context.Background()
	// |x − 3| has a kink at its minimum and a gradient of size 1 everywhere
	// else: L-BFGS's line search cannot settle, and the gradient it stops
	// at is far from zero.
	kink := func(x, grad []float64) float64 {
		d := x[0] - 3
		grad[0] = math.Copysign(1, d)
		return math.Abs(d) + 1e-3*math.Sin(1e4*x[0])
	}
	if x, err := minimize(ctx, []float64{10}, 200, 1e-6, kink); err == nil {
		t.Errorf("a kinked objective gave x = %v without an error", x)
	}
	// A smooth bowl converges; its answer is accepted.
	bowl := func(x, grad []float64) float64 {
		grad[0], grad[1] = 2*(x[0]-1), 20*(x[1]+2)
		return (x[0]-1)*(x[0]-1) + 10*(x[1]+2)*(x[1]+2)
	}
	x, err := minimize(ctx, []float64{5, 5}, 200, 1e-8, bowl)
	if err != nil || math.Abs(x[0]-1) > 1e-6 || math.Abs(x[1]+2) > 1e-6 {
		t.Errorf("bowl: x = %v, err = %v", x, err)
	}
}
