package reports

import (
	"context"
	"errors"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/recommender/credit"
)

// Advise gives the credit workflow's advice (credit.Service.AdviceOn on the
// report's ledger, or the API's CreditWorkflow.Advice).
type Advise func(ctx context.Context, asOf datasets.Date, customerIDs ...string) ([]credit.Advice, error)

type creditSource struct {
	advise Advise
	fx     *datasets.FX
}

var _ CreditSource = creditSource{}

// CreditFrom returns the credit part of a report: the workflow's advice,
// converted from each customer's currency with fx, the report's rates
// (nil: as they are).
func CreditFrom(advise Advise, fx *datasets.FX) CreditSource {
	return creditSource{advise: advise, fx: fx}
}

// Credit implements CreditSource.
func (c creditSource) Credit(ctx context.Context, asOf datasets.Date, customerIDs ...string) ([]CreditAdvice, error) {
	as, err := c.advise(ctx, asOf, customerIDs...)
	if err != nil {
		return nil, err
	}
	out := make([]CreditAdvice, 0, len(as))
	for _, a := range as {
		conv, overflow, err := c.converter(a.Currency)
		if errors.Is(err, errNoRate) {
			// Its figures cannot be converted: the customer is listed
			// with the missing rate, not summed in the wrong currency,
			// and the rest of the report stands (one unrated currency
			// failed every customer's advice).
			out = append(out, CreditAdvice{CustomerID: a.CustomerID, NoRate: a.Currency})
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", a.CustomerID, err)
		}
		v := CreditAdvice{CustomerID: a.CustomerID, Current: conv(a.Current.Money()), Exposure: conv(a.Exposure.Money()),
			Suggested: conv(a.Suggested.Money()), RiskClass: a.RiskClass, Review: a.Review, Reasons: a.Reasons,
			LimitNotRecorded: a.LimitSource == credit.LimitNotRecorded}
		for _, f := range a.Flags {
			v.Flags = append(v.Flags, CreditFlag{Kind: f.Kind, Amount: conv(f.Amount.Money()), Reason: f.Reason, Resolution: f.Resolution})
		}
		if *overflow {
			return nil, fmt.Errorf("customer %s: an amount in %s does not fit once converted to %s", a.CustomerID, a.Currency, c.fx.To)
		}
		out = append(out, v)
	}
	return out, nil
}

// errNoRate is a converter's error for a currency the rates lack.
var errNoRate = errors.New("no exchange rate")

// converter converts amounts of currency cur to the report's currency;
// overflow is set when one did not fit.
func (c creditSource) converter(cur string) (func(datasets.Money) datasets.Money, *bool, error) {
	overflow := new(bool)
	if c.fx == nil || cur == "" || cur == c.fx.To {
		return func(m datasets.Money) datasets.Money { return m }, overflow, nil
	}
	r, ok := c.fx.Rate(cur)
	if !ok {
		return nil, nil, fmt.Errorf("%w: advice in %s and the report in %s: the rates have no %s", errNoRate, cur, c.fx.To, cur)
	}
	return func(m datasets.Money) datasets.Money {
		v, ok := m.Convert(r)
		if !ok {
			*overflow = true
		}
		return v
	}, overflow, nil
}
