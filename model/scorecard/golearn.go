package scorecard

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/filters"
)

// This file is the only place that touches golearn. Everything it returns
// is plain Go data, and every call goes through guard so that golearn's
// habit of panicking on bad input (it panics rather than returning errors
// in many places) cannot take the service down.

// guard runs f and converts a panic inside it into an error wrapping
// ErrGolearn, tagged with op.
func guard(op string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s: %w: panic: %v", op, ErrGolearn, r)
		}
	}()
	return f()
}

// golearnChiMerge runs golearn's ChiMerge filter on one feature and returns,
// for every code 0..nCodes-1, the index of the merged interval it ends up
// in (a non-decreasing sequence starting at 0).
//
// codes must be sorted ascending, contain every value 0..nCodes-1, and be
// parallel to bad. Feeding small non-negative integer codes in sorted order,
// rather than raw feature values, is deliberate; it sidesteps three golearn
// defects:
//
//   - ChiMergeFilter.Train sorts through base.LazySort, whose view passes
//     MapOverRows straight to the unsorted source while GetClass resolves
//     rows through the sort: values get paired with the classes of other
//     rows and the frequency table is built in input order. When the input
//     is already sorted the sort is the identity and the two agree.
//   - base's radix sort flips the sign bit of the wrong byte, so negative
//     values sort in the wrong order. Codes are never negative.
//   - ChiMBuildFrequencyTable does a linear scan over the distinct values
//     seen so far for every row (quadratic in distinct values). With at most
//     nCodes distinct values the cost is rows × nCodes.
//
// golearn's significance test is ineffective for two classes (its chi²
// density is evaluated at 0, which is +Inf for one degree of freedom, so no
// pair is ever judged insignificant); only maxBins stops its merging. The
// caller applies the significance test afterwards.
func golearnChiMerge(codes []int, bad []bool, nCodes, maxBins int, significance float64) ([]int, error) {
	const op = "scorecard: golearn chimerge"
	if len(codes) != len(bad) {
		return nil, fmt.Errorf("%s: %w: %d codes, %d labels", op, ErrLength, len(codes), len(bad))
	}
	groups := make([]int, nCodes)
	err := guard(op, func() error {
		inst := base.NewDenseInstances()
		xAttr := base.NewFloatAttribute("x")
		yAttr := base.NewCategoricalAttribute()
		yAttr.SetName("y")
		xSpec := inst.AddAttribute(xAttr)
		ySpec := inst.AddAttribute(yAttr)
		if err := inst.AddClassAttribute(yAttr); err != nil {
			return err
		}
		if err := inst.Extend(len(codes)); err != nil {
			return err
		}
		good, bd := yAttr.GetSysValFromString("0"), yAttr.GetSysValFromString("1")
		buf := make([]byte, 8)
		for i, c := range codes {
			base.PackFloatToBytesInline(float64(c), buf)
			inst.Set(xSpec, i, buf)
			if bad[i] {
				inst.Set(ySpec, i, bd)
			} else {
				inst.Set(ySpec, i, good)
			}
		}
		f := filters.NewChiMergeFilter(inst, significance)
		// golearn's MaxRows is the maximum number of intervals, not of
		// data rows (NewChiMergeFilter sets it to the row count). It is
		// kept at the number of codes, so golearn builds the frequency
		// table and the intervals but merges nothing: its chi² sums range
		// over Go maps, whose order changes from run to run, so exact ties
		// between pairs were broken differently each time and the same
		// data gave different cuts. The caller's merge is deterministic.
		f.MaxRows = max(maxBins, nCodes)
		if err := f.AddAttribute(xAttr); err != nil {
			return err
		}
		if err := f.Train(); err != nil {
			return err
		}
		// Read the intervals back through Transform, golearn's only exported
		// view of them. Transform puts v in the last interval whose lower
		// value is strictly below v, so a value equal to an interval's lower
		// bound lands one interval too low; probing at code+0.5 avoids that.
		for c := range groups {
			base.PackFloatToBytesInline(float64(c)+0.5, buf)
			out := f.Transform(xAttr, nil, buf)
			if len(out) != 8 {
				return fmt.Errorf("transform returned %d bytes", len(out))
			}
			groups[c] = int(binary.LittleEndian.Uint64(out))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Trust but verify: the result must be a partition of consecutive codes.
	for c, g := range groups {
		prev := 0
		if c > 0 {
			prev = groups[c-1]
		}
		if (c == 0 && g != 0) || (c > 0 && g != prev && g != prev+1) {
			return nil, fmt.Errorf("%s: %w: intervals are not consecutive at code %s", op, ErrGolearn, strconv.Itoa(c))
		}
	}
	return groups, nil
}
