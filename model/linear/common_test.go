package linear

import (
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
