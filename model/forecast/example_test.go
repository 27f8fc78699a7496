package forecast_test

import (
	"context"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/model/forecast"
)

// A customer that always paid ten days after the due date has one invoice
// of 1,000.00 open, due on 3 July: the forecast expects it around 13 July,
// mostly in the week of 8 to 14 July (a record of three invoices is
// smoothed by three days either way), all of it in one week or the other, while the
// due dates alone would put it in the first week. Without a model (nil
// predictions) the timing record alone forecasts; the shocks are given
// here, a real forecast estimates them from the ledger.
func ExampleForecast() {
	d := datasets.NewDate
	l := &datasets.Ledger{Invoices: []datasets.Invoice{
		{ID: "I1", CustomerID: "C1", IssueDate: d(2024, 1, 1), DueDate: d(2024, 1, 31), SettledDate: d(2024, 2, 10), Amount: 500_00},
		{ID: "I2", CustomerID: "C1", IssueDate: d(2024, 2, 1), DueDate: d(2024, 3, 2), SettledDate: d(2024, 3, 12), Amount: 500_00},
		{ID: "I3", CustomerID: "C1", IssueDate: d(2024, 4, 1), DueDate: d(2024, 5, 1), SettledDate: d(2024, 5, 11), Amount: 500_00},
		{ID: "I4", CustomerID: "C1", IssueDate: d(2024, 6, 3), DueDate: d(2024, 7, 3), Amount: 1000_00},
	}}
	shocks := forecast.DefaultShocks()
	res, err := forecast.Forecast(context.Background(), forecast.NewHistory(l, nil), nil,
		forecast.Options{AsOf: d(2024, 6, 30), Weeks: 4, Currency: "EUR", Shocks: &shocks, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range res.Weeks {
		fmt.Printf("%s..%s open: mean %s, P10 %s, P90 %s\n", w.Start, w.End, w.Open.Mean, w.Open.P10, w.Open.P90)
	}
	fmt.Println("due dates alone say", res.DueSchedule[0].Amount, "in the first week")
	// Output:
	// 2024-07-01..2024-07-07 open: mean 0.00, P10 0.00, P90 0.00
	// 2024-07-08..2024-07-14 open: mean 714.29, P10 0.00, P90 1000.00
	// 2024-07-15..2024-07-21 open: mean 285.71, P10 0.00, P90 1000.00
	// 2024-07-22..2024-07-28 open: mean 0.00, P10 0.00, P90 0.00
	// due dates alone say 1000.00 in the first week
}
