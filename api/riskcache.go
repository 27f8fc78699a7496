package api

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// cachedRisk keeps the last ledger's risks by day: a learnt default model
// (credit.LearnedRisk) takes seconds on a large ledger, every credit-limit
// request of a snapshot asks for the same day's, and every one asks for
// the month-ends its limits' review dates look at (the class at each
// decision, and the classes seen since), the same for every request.
//
// A day is learnt once, by whoever asks first (the background preparation
// of the snapshot's advice, or a request); the others wait for it as long
// as their own context lets them, not behind a lock: a request holding the
// cache's lock while it learnt a day made every other credit request wait
// past its deadline, and past the server's write timeout. A day whose
// learning was cut short (the asker's deadline) is learnt again by the
// next asker; the days finished are kept, so a request retried after a
// 503 goes on from there.
type cachedRisk struct {
	src  credit.RiskSource
	mu   sync.Mutex
	l    *datasets.Ledger
	risk map[datasets.Date]*riskDay
}

// riskDay is one day's risks: done closes once r and err are set.
type riskDay struct {
	done chan struct{}
	r    map[string]credit.Risk
	err  error
}

// maxCachedDays bounds the days kept for one ledger: a decade of
// month-ends and a few days asked about; past it the cache starts again.
// The background preparation asks for every month-end the review dates
// look at at once, which a bound of two years dropped on a long ledger.
const maxCachedDays = 160

var _ credit.LedgerDaysRisk = (*cachedRisk)(nil)

func (c *cachedRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]credit.Risk, error) {
	out, err := c.CustomerRiskDaysOf(ctx, l, []datasets.Date{asOf})
	if err != nil {
		return nil, err
	}
	return out[asOf], nil
}

// CustomerRiskDaysOf implements credit.LedgerDaysRisk: the days not learnt
// yet, nor being learnt, are learnt here over one read of l
// (credit.RiskDays); those another asker is learning are waited for.
func (c *cachedRisk) CustomerRiskDaysOf(ctx context.Context, l *datasets.Ledger, days []datasets.Date) (map[datasets.Date]map[string]credit.Risk, error) {
	out := make(map[datasets.Date]map[string]credit.Risk, len(days))
	for len(days) > 0 {
		mine, theirs := c.claim(l, days)
		if len(mine) > 0 {
			ds := make([]datasets.Date, 0, len(mine))
			for d := range mine {
				ds = append(ds, d)
			}
			slices.Sort(ds)
			r, err := credit.RiskDays(ctx, c.src, l, ds)
			c.settle(l, mine, r, err)
			if err != nil {
				return nil, err
			}
			for _, d := range ds {
				out[d] = r[d]
			}
		}
		// Wait for the others' days; those whose asker gave up (its
		// context ended) are claimed again, under this one's.
		days = days[:0:0]
		for d, e := range theirs {
			select {
			case <-e.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			switch {
			case e.err == nil:
				out[d] = e.r
			case errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded):
				days = append(days, d)
			default:
				return nil, e.err
			}
		}
	}
	return out, nil
}

// claim splits days into those this asker learns (entries it created)
// and those being learnt or learnt already.
func (c *cachedRisk) claim(l *datasets.Ledger, days []datasets.Date) (mine, theirs map[datasets.Date]*riskDay) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.l != l || len(c.risk)+len(days) > maxCachedDays {
		c.l, c.risk = l, map[datasets.Date]*riskDay{}
	}
	mine, theirs = map[datasets.Date]*riskDay{}, map[datasets.Date]*riskDay{}
	for _, d := range days {
		if e, ok := c.risk[d]; ok {
			theirs[d] = e
			continue
		}
		e := &riskDay{done: make(chan struct{})}
		c.risk[d], mine[d] = e, e
	}
	return mine, theirs
}

// settle records the days this asker learnt (r, or err for all of them)
// and wakes their waiters. A failed day is not kept: a failure of this
// asker's (its deadline) is not the day's answer for the next one.
func (c *cachedRisk) settle(l *datasets.Ledger, mine map[datasets.Date]*riskDay, r map[datasets.Date]map[string]credit.Risk, err error) {
	c.mu.Lock()
	for d, e := range mine {
		e.r, e.err = r[d], err
		if err != nil && c.l == l && c.risk[d] == e {
			delete(c.risk, d)
		}
	}
	c.mu.Unlock()
	for _, e := range mine {
		close(e.done)
	}
}

// adopt keeps the risks learnt on from for to, a ledger holding the same
// records (a reload of an unchanged store): they are its risks too.
func (c *cachedRisk) adopt(from, to *datasets.Ledger) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.l == from {
		c.l = to
	}
}
