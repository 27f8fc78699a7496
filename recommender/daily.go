package recommender

import (
	"context"
	"sync"

	"github.com/dsopilot/dsopilot/datasets"
)

// dailyKeep is how many days' worklists Daily keeps for one ledger: today,
// tomorrow and a few days a collector looks back on.
const dailyKeep = 8

// Daily computes worklists for a service that asks for the same day's list
// many times (the API's worklist and next-action routes, the report's
// collections page): each (ledger, day) is computed once, with the options
// given to NewDaily, and kept until a different ledger is asked for. A
// ledger handed to Daily must not be changed afterwards (the API's
// snapshots never are). Safe for concurrent use; concurrent requests for a
// day being computed wait for it rather than compute it again.
type Daily struct {
	opts  RecommendOptions
	mu    sync.Mutex
	l     *datasets.Ledger
	lists map[datasets.Date]*Worklist
	order []datasets.Date
}

// NewDaily returns a Daily that builds worklists with o (o.Collector and
// o.Customers restrict every list it builds; leave them empty for a
// team-wide service and filter the lists).
func NewDaily(o RecommendOptions) *Daily {
	if o.Scenarios == nil {
		o.Scenarios = DefaultScenarios()
	}
	return &Daily{opts: o, lists: map[datasets.Date]*Worklist{}}
}

// Worklist returns day's worklist for l (see Recommend). The result is
// shared: callers must not change it.
func (d *Daily) Worklist(ctx context.Context, l *datasets.Ledger, day datasets.Date) (*Worklist, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l != d.l {
		d.l, d.lists, d.order = l, map[datasets.Date]*Worklist{}, nil
	}
	if w, ok := d.lists[day]; ok {
		return w, nil
	}
	w, err := Recommend(ctx, l, day, d.opts)
	if err != nil {
		return nil, err
	}
	if len(d.order) == dailyKeep {
		delete(d.lists, d.order[0])
		d.order = d.order[1:]
	}
	d.lists[day], d.order = w, append(d.order, day)
	return w, nil
}

// NextWorkingDay returns the first day on or after day on which the
// scenario file's calendar allows contacts everywhere (weekends and the
// holidays of every country, "*").
func (d *Daily) NextWorkingDay(day datasets.Date) datasets.Date {
	return d.opts.Scenarios.Rules.NextWorkingDay("*", day)
}

// Scenarios is the scenario file the worklists follow (the channels and
// action types a request may name).
func (d *Daily) Scenarios() *Scenarios { return d.opts.Scenarios }
