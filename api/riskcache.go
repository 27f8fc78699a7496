package api

import (
	"context"
	"errors"
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

// maxCachedDays bounds the days kept for one ledger: five years of
// month-ends and a few days asked about; past it the cache starts again.
// The background preparation asks for every month-end the review dates
// look at, which a bound of two years dropped halfway on a long ledger.
const maxCachedDays = 80

func (c *cachedRisk) CustomerRisk(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) (map[string]credit.Risk, error) {
	for {
		c.mu.Lock()
		if c.l != l || len(c.risk) >= maxCachedDays && c.risk[asOf] == nil {
			c.l, c.risk = l, map[datasets.Date]*riskDay{}
		}
		d, ok := c.risk[asOf]
		if !ok {
			d = &riskDay{done: make(chan struct{})}
			c.risk[asOf] = d
			c.mu.Unlock()
			d.r, d.err = c.src.CustomerRisk(ctx, l, asOf)
			if d.err != nil {
				// Not kept: a failure of this asker's (its deadline) is
				// not the day's answer for the next one.
				c.mu.Lock()
				if c.risk[asOf] == d {
					delete(c.risk, asOf)
				}
				c.mu.Unlock()
			}
			close(d.done)
			return d.r, d.err
		}
		c.mu.Unlock()
		select {
		case <-d.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if d.err == nil {
			return d.r, nil
		}
		if !errors.Is(d.err, context.Canceled) && !errors.Is(d.err, context.DeadlineExceeded) {
			return nil, d.err
		}
		// The asker that learnt it gave up (its context ended): learn it
		// under this one's.
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
