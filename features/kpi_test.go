package features

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// kd parses a YYYY-MM-DD date for tests.
func kd(s string) datasets.Date {
	d, err := datasets.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// km is an amount in currency units, in cents.
func km(units float64) datasets.Money { return datasets.Money(math.Round(units * 100)) }

// kinv is an invoice of customer cust; settled may be "".
func kinv(id, cust, issue, due string, amount float64, settled string) datasets.Invoice {
	v := datasets.Invoice{ID: id, CustomerID: cust, IssueDate: kd(issue), DueDate: kd(due), Amount: km(amount)}
	if settled != "" {
		v.SettledDate = kd(settled)
	}
	return v
}

func kpay(id, cust, invoice, date string, amount float64) datasets.Payment {
	return datasets.Payment{ID: id, CustomerID: cust, InvoiceID: invoice, Date: kd(date), Amount: km(amount)}
}

// kpiJSON encodes r and decodes it into generic JSON values.
func kpiJSON(t *testing.T, r *KPIReport) map[string]any {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return m
}

// kpiLookup follows a dotted path ("aging.1_30", "groups.0.key") in decoded
// JSON; ok is false when the path does not exist.
func kpiLookup(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[part]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// kpiAbsent wants a path to be missing from the JSON.
type kpiAbsent struct{}

// checkKPIs compares decoded JSON against want: a float64 within 1e-9
// (relative to its size), nil for JSON null, kpiAbsent for no such key, or
// an exact bool, string or int.
func checkKPIs(t *testing.T, m map[string]any, want map[string]any) {
	t.Helper()
	for path, w := range want {
		got, ok := kpiLookup(m, path)
		if _, absent := w.(kpiAbsent); absent {
			if ok {
				t.Errorf("%s = %v, want it absent", path, got)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: missing", path)
			continue
		}
		switch w := w.(type) {
		case nil:
			if got != nil {
				t.Errorf("%s = %v, want null", path, got)
			}
		case float64:
			g, ok := got.(float64)
			if !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
				t.Errorf("%s = %v, want %v", path, got, w)
			}
		case int:
			g, ok := got.(float64)
			if !ok || g != float64(w) {
				t.Errorf("%s = %v, want %d", path, got, w)
			}
		default:
			if got != w {
				t.Errorf("%s = %v, want %v", path, got, w)
			}
		}
	}
}

// workedLedger is the worked DSO example: January 2024 invoices 100,000,
// of which 40,000 is still owed at the end of the month.
func workedLedger() *datasets.Ledger {
	return &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Segment: "enterprise", Country: "FR"}},
		Invoices: []datasets.Invoice{
			kinv("A", "C1", "2024-01-05", "2024-02-04", 60000, "2024-01-20"),
			kinv("B", "C1", "2024-01-15", "2024-02-14", 40000, ""),
		},
		Payments: []datasets.Payment{kpay("P1", "C1", "A", "2024-01-20", 60000)},
	}
}

func TestKPIDefinitions(t *testing.T) {
	const tJun = "2024-06-30"
	agingLedger := &datasets.Ledger{}
	// Each invoice is due k days before 2024-06-30 and owes a distinct
	// power of two, so each bucket's sum names its members.
	for j, k := range []int{-5, 0, 1, 30, 31, 60, 61, 90, 91, 400} {
		due := kd(tJun).AddDays(-k)
		agingLedger.Invoices = append(agingLedger.Invoices, datasets.Invoice{
			ID: fmt.Sprint("I", j), CustomerID: "C1", IssueDate: due.AddDays(-30), DueDate: due, Amount: km(float64(int(1) << j)),
		})
	}

	segLedger := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Segment: "enterprise", Country: "FR"}, {ID: "C2", Country: "DE"}},
		Invoices: []datasets.Invoice{
			kinv("A", "C1", "2024-01-05", "2024-02-04", 1000, ""),
			{ID: "B", CustomerID: "C1", IssueDate: kd("2024-01-06"), DueDate: kd("2024-02-05"), Amount: km(300), Segment: "mid_market"},
			kinv("C", "C2", "2024-01-07", "2024-02-06", 50, ""),
		},
		Payments: []datasets.Payment{
			kpay("P1", "C1", "B", "2024-01-20", 100),
			kpay("P2", "C1", "", "2024-01-21", 7),
		},
		Disputes: []datasets.Dispute{
			{ID: "d1", CustomerID: "C1", InvoiceID: "B", Opened: kd("2024-01-20")},
			{ID: "d2", CustomerID: "C1", InvoiceID: "A", Opened: kd("2024-01-22")},
		},
		Promises: []datasets.Promise{
			{ID: "p1", CustomerID: "C1", InvoiceID: "B", Made: kd("2024-01-10"), PromisedDate: kd("2024-01-25"), Status: datasets.PromiseKept},
			{ID: "p2", CustomerID: "C1", Made: kd("2024-01-10"), PromisedDate: kd("2024-01-26"), Status: datasets.PromiseBroken},
		},
	}

	cases := []struct {
		name     string
		ledger   *datasets.Ledger
		from, to string
		opts     KPIOptions
		want     map[string]any
	}{
		{
			name: "worked DSO", ledger: workedLedger(), from: "2024-01-01", to: "2024-01-31",
			want: map[string]any{
				"from": "2024-01-01", "to": "2024-01-31", "days": 31,
				"invoiced": 100000.0, "receivables": 40000.0, "current_receivables": 40000.0, "overdue_receivables": 0.0,
				"dso": 12.4, "best_possible_dso": 12.4, "add": 0.0,
				// Countback: January's sales 100,000 exceed the 40,000 owed: 31 × 0.4.
				"countback_dso": 12.4,
				// (0 + 100,000 − 40,000) / (0 + 100,000 − 40,000).
				"cei":             100.0,
				"collected":       60000.0,
				"late_rate":       0.0,
				"avg_days_to_pay": 15.0, "avg_days_to_pay_weighted": 15.0,
				"invoices_issued": 2, "invoices_settled": 1, "invoices_settled_late": 0,
				"overdue_ratio": 0.0, "recovery_rate": nil, "promise_kept_rate": nil,
				"dispute_resolution_days": nil,
				// No dispute records: the disputed flag stands in (none set).
				"dispute_rate": 0.0,
			},
		},
		{
			// March 2024: X (30,000, due 9 Feb) open; W (10,000, due 2 Mar)
			// paid 10 Mar; Y (50,000, due 4 Apr) paid 30,000 on 20 Mar;
			// Z (50,000, due 24 Apr) open.
			name: "best possible DSO, ADD, CEI",
			ledger: &datasets.Ledger{
				Invoices: []datasets.Invoice{
					kinv("X", "C1", "2024-01-10", "2024-02-09", 30000, ""),
					kinv("W", "C1", "2024-02-01", "2024-03-02", 10000, "2024-03-10"),
					kinv("Y", "C1", "2024-03-05", "2024-04-04", 50000, ""),
					kinv("Z", "C1", "2024-03-25", "2024-04-24", 50000, ""),
				},
				Payments: []datasets.Payment{
					kpay("P1", "C1", "W", "2024-03-10", 10000),
					kpay("P2", "C1", "Y", "2024-03-20", 30000),
				},
			},
			from: "2024-03-01", to: "2024-03-31",
			want: map[string]any{
				"invoiced": 100000.0, "opening_receivables": 40000.0,
				"receivables": 100000.0, "current_receivables": 70000.0, "overdue_receivables": 30000.0,
				"aging.current": 70000.0, "aging.31_60": 30000.0, "aging.1_30": 0.0, "aging.61_90": 0.0, "aging.90_plus": 0.0,
				"dso": 31.0, "best_possible_dso": 21.7, "add": 9.3, "overdue_ratio": 0.3,
				// (40,000 + 100,000 − 100,000) / (40,000 + 100,000 − 70,000) × 100.
				"cei": 400.0 / 7,
				// March's sales equal what is owed: exactly its 31 days.
				"countback_dso": 31.0,
				"collected":     40000.0,
				"late_rate":     1.0, "invoices_settled_late": 1, "avg_days_to_pay": 38.0,
			},
		},
		{
			// 1–15 March 2024. J (Jan, 50,000) owes 10,000, F (Feb, 40,000)
			// and M (10 Mar, 20,000) owe all; L is issued after the period.
			name: "countback",
			ledger: &datasets.Ledger{
				Invoices: []datasets.Invoice{
					kinv("D", "C1", "2023-12-05", "2024-01-04", 70000, "2023-12-30"),
					kinv("J", "C1", "2024-01-10", "2024-02-09", 50000, ""),
					kinv("F", "C1", "2024-02-10", "2024-03-11", 40000, ""),
					kinv("M", "C1", "2024-03-10", "2024-04-09", 20000, ""),
					kinv("L", "C1", "2024-03-20", "2024-04-19", 99999, ""),
				},
				Payments: []datasets.Payment{kpay("P1", "C1", "J", "2024-02-01", 40000)},
			},
			from: "2024-03-01", to: "2024-03-15",
			want: map[string]any{
				"days": 15, "invoiced": 20000.0, "receivables": 70000.0,
				// 1–15 Mar: 15 days, 20,000 → 50,000 left; Feb: 29 days,
				// 40,000 → 10,000 left; Jan: 31 × 10,000 / 50,000 = 6.2.
				"countback_dso": 50.2, "countback_capped": false,
				"dso": 52.5, "best_possible_dso": 15.0, "add": 37.5,
				"aging.current": 20000.0, "aging.1_30": 40000.0, "aging.31_60": 10000.0,
				"opening_receivables": 50000.0, "cei": 0.0,
			},
		},
		{
			// C2 owes nothing and does nothing in March, but its February
			// sale (15,000) is part of February's 40,000.
			name: "countback counts every customer's sales",
			ledger: &datasets.Ledger{Invoices: []datasets.Invoice{
				kinv("F", "C1", "2024-02-10", "2024-03-11", 25000, ""),
				kinv("M", "C1", "2024-03-10", "2024-04-09", 20000, ""),
				kinv("G", "C2", "2024-02-05", "2024-03-06", 15000, "2024-02-20"),
			}},
			from: "2024-03-01", to: "2024-03-15",
			// 45,000 owed: March 15 days (20,000), then 29 × 25,000 / 40,000.
			want: map[string]any{"receivables": 45000.0, "countback_dso": 15 + 29*25000/40000.0},
		},
		{
			name: "countback of a customer",
			ledger: &datasets.Ledger{Invoices: []datasets.Invoice{
				kinv("F", "C1", "2024-02-10", "2024-03-11", 25000, ""),
				kinv("M", "C1", "2024-03-10", "2024-04-09", 20000, ""),
				kinv("G", "C2", "2024-02-05", "2024-03-06", 15000, "2024-02-20"),
			}},
			from: "2024-03-01", to: "2024-03-15", opts: KPIOptions{By: "customer"},
			// C1: March 15 days (20,000), February 29 days (25,000), done.
			// C2 has no activity in the period: no group.
			want: map[string]any{"groups.0.key": "C1", "groups.0.countback_dso": 44.0, "groups.1": kpiAbsent{}},
		},
		{
			name: "countback capped",
			ledger: &datasets.Ledger{
				Invoices: []datasets.Invoice{
					kinv("J", "C1", "2024-01-10", "2024-02-09", 50000, ""),
					kinv("F", "C1", "2024-02-10", "2024-03-11", 40000, ""),
					kinv("M", "C1", "2024-03-10", "2024-04-09", 20000, ""),
				},
				Payments: []datasets.Payment{kpay("P1", "C1", "J", "2024-02-01", 40000)},
			},
			from: "2024-03-01", to: "2024-03-15", opts: KPIOptions{CountbackMonths: 2},
			want: map[string]any{"countback_dso": 44.0, "countback_capped": true},
		},
		{
			name: "countback with nothing owed",
			ledger: &datasets.Ledger{Invoices: []datasets.Invoice{
				kinv("A", "C1", "2024-01-05", "2024-02-04", 100, "2024-01-20"),
			}},
			from: "2024-01-01", to: "2024-01-31",
			want: map[string]any{"countback_dso": 0.0, "dso": 0.0, "receivables": 0.0, "overdue_ratio": nil},
		},
		{
			name: "aging boundaries", ledger: agingLedger, from: "2024-06-01", to: tJun,
			want: map[string]any{
				// due t+5 (1) and t (2) are current; t−1 (4) and t−30 (8):
				// 1–30; t−31 (16), t−60 (32): 31–60; t−61 (64), t−90
				// (128): 61–90; t−91 (256), t−400 (512): over 90.
				"aging.current": 3.0, "aging.1_30": 12.0, "aging.31_60": 48.0, "aging.61_90": 192.0, "aging.90_plus": 768.0,
				"receivables": 1023.0, "current_receivables": 3.0, "overdue_receivables": 1020.0,
			},
		},
		{
			// April 2024: A on time (on its due date), B one day late, C a
			// month late, D early; E settled in March and F in May.
			name: "late rate and days to pay",
			ledger: &datasets.Ledger{Invoices: []datasets.Invoice{
				kinv("A", "C1", "2024-03-11", "2024-04-10", 100, "2024-04-10"),
				kinv("B", "C1", "2024-03-11", "2024-04-10", 100, "2024-04-11"),
				kinv("C", "C1", "2024-01-31", "2024-03-01", 200, "2024-04-02"),
				kinv("D", "C1", "2024-04-01", "2024-05-01", 600, "2024-04-20"),
				kinv("E", "C1", "2024-02-01", "2024-03-02", 100, "2024-03-30"),
				kinv("F", "C1", "2024-04-05", "2024-04-06", 50, "2024-05-02"),
			}},
			from: "2024-04-01", to: "2024-04-30",
			want: map[string]any{
				"invoices_settled": 4, "invoices_settled_late": 2, "late_rate": 0.5,
				// (30 + 31 + 62 + 19) / 4 and (100·30 + 100·31 + 200·62 + 600·19) / 1,000.
				"avg_days_to_pay": 35.5, "avg_days_to_pay_weighted": 29.9,
				"invoices_issued": 2, "invoiced": 650.0,
				"receivables": 50.0, "aging.1_30": 50.0,
			},
		},
		{
			// Settled in April 2024 (the period runs from March, monthly,
			// by customer): A paid after 40 days; W paid 100 of 300, the
			// rest written off on its settlement after 110 days (a real
			// note); I (customer C2) paid 100 of 500 and settled after 101
			// days with no note, so 400 is implied written off; R paid
			// but for 0.50 written off (a residue: paid) after 21 days; D,
			// flagged disputed, paid 20 of 100 after 39 days (the implied
			// 80 is a dispute credit, not a write-off: paid); H paid 50.01
			// of 100.01 after 71 days and 50.00 written off, a cent short
			// of half (paid). W and I are left out of both means, kept in
			// the late rate: A, W, I, D and H were settled late.
			name: "days to pay leaves written-off invoices out",
			ledger: &datasets.Ledger{
				Invoices: []datasets.Invoice{
					kinv("A", "C1", "2024-03-01", "2024-03-31", 100, "2024-04-10"),
					kinv("W", "C1", "2024-01-01", "2024-01-31", 300, "2024-04-20"),
					kinv("I", "C2", "2024-01-15", "2024-02-14", 500, "2024-04-25"),
					kinv("R", "C1", "2024-03-15", "2024-04-14", 200, "2024-04-05"),
					{ID: "D", CustomerID: "C1", IssueDate: kd("2024-03-20"), DueDate: kd("2024-04-19"), Amount: km(100), SettledDate: kd("2024-04-28"), Disputed: true},
					kinv("H", "C1", "2024-02-01", "2024-03-02", 100.01, "2024-04-12"),
				},
				Payments: []datasets.Payment{
					kpay("PA", "C1", "A", "2024-04-10", 100),
					kpay("PW", "C1", "W", "2024-02-15", 100),
					kpay("PI", "C2", "I", "2024-02-20", 100),
					kpay("PR", "C1", "R", "2024-04-05", 199.50),
					kpay("PD", "C1", "D", "2024-04-28", 20),
					kpay("PH", "C1", "H", "2024-04-12", 50.01),
				},
				CreditNotes: []datasets.CreditNote{
					{ID: "WW", CustomerID: "C1", InvoiceID: "W", Date: kd("2024-04-20"), Amount: km(200), Kind: datasets.KindWriteOff},
					{ID: "WR", CustomerID: "C1", InvoiceID: "R", Date: kd("2024-04-05"), Amount: km(0.50), Kind: datasets.KindWriteOff},
					{ID: "WH", CustomerID: "C1", InvoiceID: "H", Date: kd("2024-04-12"), Amount: km(50), Kind: datasets.KindWriteOff},
				},
			},
			from: "2024-03-01", to: "2024-04-30", opts: KPIOptions{By: "customer", Monthly: true},
			want: map[string]any{
				"invoices_settled": 6, "invoices_written_off": 2, "invoices_settled_late": 5, "late_rate": 5.0 / 6,
				// (40 + 21 + 39 + 71) / 4, and weighted by 100, 200, 100
				// and 100.01.
				"avg_days_to_pay":           171.0 / 4,
				"avg_days_to_pay_weighted":  (100*40 + 200*21 + 100*39 + 100.01*71) / 500.01,
				"months.0.invoices_settled": 0, "months.0.invoices_written_off": 0, "months.0.avg_days_to_pay": nil,
				"months.1.invoices_settled": 6, "months.1.invoices_written_off": 2, "months.1.avg_days_to_pay": 171.0 / 4,
				"groups.0.key": "C1", "groups.0.invoices_settled": 5, "groups.0.invoices_written_off": 1,
				"groups.0.avg_days_to_pay": 171.0 / 4, "groups.0.months.1.invoices_written_off": 1,
				// C2's one settlement was a write-off: no days to pay.
				"groups.1.key": "C2", "groups.1.invoices_settled": 1, "groups.1.invoices_written_off": 1, "groups.1.late_rate": 1.0,
				"groups.1.avg_days_to_pay": nil, "groups.1.avg_days_to_pay_weighted": nil,
			},
		},
		{
			// April 2024; more than 90 days past due on 31 March: R1 (121
			// days), R2 (107), R4, R5, R7; not R3 (exactly 90) nor R6
			// (settled before).
			name: "recovery rate",
			ledger: &datasets.Ledger{
				Invoices: []datasets.Invoice{
					kinv("R1", "C1", "2023-11-01", "2023-12-01", 1000, ""),
					kinv("R2", "C1", "2023-11-15", "2023-12-15", 500, "2024-04-15"),
					kinv("R3", "C1", "2023-12-02", "2024-01-01", 700, "2024-04-05"),
					kinv("R4", "C1", "2023-10-01", "2023-11-01", 200, "2024-04-20"),
					kinv("R5", "C1", "2023-10-01", "2023-11-01", 300, "2024-05-05"),
					kinv("R6", "C1", "2023-10-01", "2023-11-01", 400, "2024-03-15"),
					kinv("R7", "C1", "2023-10-01", "2023-11-01", 400, "2024-04-28"),
				},
				Payments: []datasets.Payment{
					kpay("P1", "C1", "R1", "2024-04-10", 300),
					kpay("P3", "C1", "R3", "2024-04-05", 700),
					kpay("P4", "C1", "R4", "2024-04-20", 200),
					kpay("P5", "C1", "R5", "2024-05-05", 300),
					kpay("P6", "C1", "R6", "2024-03-15", 400),
					kpay("P7", "C1", "R7", "2024-02-01", 100),
				},
				CreditNotes: []datasets.CreditNote{
					{ID: "W2", CustomerID: "C1", InvoiceID: "R2", Date: kd("2024-04-15"), Amount: km(500), Kind: datasets.KindWriteOff},
					{ID: "N7", CustomerID: "C1", InvoiceID: "R7", Date: kd("2024-04-03"), Amount: km(100), Kind: datasets.KindCreditNote},
					{ID: "W7", CustomerID: "C1", InvoiceID: "R7", Date: kd("2024-04-28"), Amount: km(200), Kind: datasets.KindWriteOff},
				},
			},
			from: "2024-04-01", to: "2024-04-30",
			want: map[string]any{
				// Base 1,000 + 500 + 200 + 300 + 300 (R7 after 100 paid).
				// Recovered: R1 300, R2 0 (written off), R4 200, R5 0
				// (paid after the period), R7 300 − 200 written off = 100.
				"recovery_base": 2300.0, "recovered": 600.0, "recovery_rate": 600.0 / 2300,
				"opening_receivables": 1000 + 500 + 700 + 200 + 300 + 300.0,
				"receivables":         700 + 300.0,
				"collected":           300 + 700 + 200.0,
			},
		},
		{
			name: "disputes and promises",
			ledger: &datasets.Ledger{
				Invoices: []datasets.Invoice{
					kinv("A", "C1", "2024-05-02", "2024-06-01", 100, ""),
					kinv("B", "C1", "2024-05-03", "2024-06-02", 100, ""),
					kinv("C", "C1", "2024-05-04", "2024-06-03", 100, ""),
					kinv("D", "C1", "2024-05-31", "2024-06-30", 100, ""),
					kinv("E", "C1", "2024-04-01", "2024-05-01", 100, ""),
				},
				Disputes: []datasets.Dispute{
					{ID: "d1", CustomerID: "C1", InvoiceID: "A", Opened: kd("2024-05-03"), Resolved: kd("2024-05-13")},
					{ID: "d2", CustomerID: "C1", InvoiceID: "E", Opened: kd("2024-04-20"), Resolved: kd("2024-05-10")},
					{ID: "d3", CustomerID: "C1", InvoiceID: "B", Opened: kd("2024-05-20")},
					{ID: "d4", CustomerID: "C1", InvoiceID: "C", Opened: kd("2024-06-02")},
					{ID: "d5", CustomerID: "C1", Opened: kd("2024-04-01"), Resolved: kd("2024-04-10")},
				},
				Promises: []datasets.Promise{
					{ID: "p1", CustomerID: "C1", Made: kd("2024-05-01"), PromisedDate: kd("2024-05-05"), Status: datasets.PromiseKept},
					{ID: "p2", CustomerID: "C1", Made: kd("2024-05-01"), PromisedDate: kd("2024-05-06"), Status: datasets.PromiseBroken},
					{ID: "p3", CustomerID: "C1", Made: kd("2024-05-01"), PromisedDate: kd("2024-05-07"), Status: datasets.PromiseKept},
					{ID: "p4", CustomerID: "C1", Made: kd("2024-05-01"), PromisedDate: kd("2024-05-08"), Status: datasets.PromiseOpen},
					{ID: "p5", CustomerID: "C1", Made: kd("2024-05-01"), PromisedDate: kd("2024-06-01"), Status: datasets.PromiseKept},
				},
			},
			from: "2024-05-01", to: "2024-05-31",
			want: map[string]any{
				"invoices_issued": 4, "disputes_opened": 2, "dispute_rate": 0.5,
				"disputes_resolved": 2, "dispute_resolution_days": 15.0,
				"promises_kept": 2, "promises_broken": 1, "promise_kept_rate": 2.0 / 3,
			},
		},
		{
			name: "disputed flag without dispute records",
			ledger: &datasets.Ledger{Invoices: []datasets.Invoice{
				kinv("A", "C1", "2024-05-02", "2024-06-01", 100, ""),
				{ID: "B", CustomerID: "C1", IssueDate: kd("2024-05-03"), DueDate: kd("2024-06-02"), Amount: km(100), Disputed: true},
				kinv("C", "C1", "2024-05-04", "2024-06-03", 100, ""),
				kinv("D", "C1", "2024-05-05", "2024-06-04", 100, ""),
			}},
			from: "2024-05-01", to: "2024-05-31",
			want: map[string]any{"dispute_rate": 0.25, "disputes_opened": 1, "dispute_resolution_days": nil},
		},
		{
			// C1 is enterprise but invoice B says mid_market; C2 has no
			// segment. Records linked to B go with B, the rest of C1's
			// with C1: unallocated cash, A's dispute, a customer promise.
			name: "by segment", ledger: segLedger,
			from: "2024-01-01", to: "2024-01-31", opts: KPIOptions{By: "segment", Monthly: true},
			want: map[string]any{
				"by": "segment", "invoiced": 1350.0, "collected": 107.0, "receivables": 1250.0,
				"disputes_opened": 2, "promises_kept": 1, "promises_broken": 1,
				"groups.0.key": "", "groups.0.invoiced": 50.0, "groups.0.disputes_opened": 0,
				"groups.1.key": "enterprise", "groups.1.invoiced": 1000.0, "groups.1.collected": 7.0,
				"groups.1.disputes_opened": 1, "groups.1.promises_kept": 0, "groups.1.promises_broken": 1,
				"groups.1.dispute_rate": 1.0, "groups.1.months.0.invoiced": 1000.0,
				"groups.2.key": "mid_market", "groups.2.invoiced": 300.0, "groups.2.collected": 100.0, "groups.2.receivables": 200.0,
				"groups.2.disputes_opened": 1, "groups.2.promises_kept": 1, "groups.2.promises_broken": 0,
				"groups.2.dso": 200.0 / 300 * 31, "groups.2.months.0.receivables": 200.0,
				"groups.3": kpiAbsent{},
			},
		},
		{
			name: "by customer", ledger: segLedger,
			from: "2024-01-01", to: "2024-01-31", opts: KPIOptions{By: "customer"},
			want: map[string]any{
				"groups.0.key": "C1", "groups.0.invoiced": 1300.0, "groups.0.collected": 107.0, "groups.0.disputes_opened": 2,
				"groups.1.key": "C2", "groups.1.invoiced": 50.0, "groups.1.dso": 31.0,
			},
		},
		{
			name: "by country", ledger: segLedger,
			from: "2024-01-01", to: "2024-01-31", opts: KPIOptions{By: "country"},
			want: map[string]any{
				"groups.0.key": "DE", "groups.0.invoiced": 50.0,
				"groups.1.key": "FR", "groups.1.invoiced": 1300.0,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := ComputeKPIsWith(NewIndex(tc.ledger), kd(tc.from), kd(tc.to), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			checkKPIs(t, kpiJSON(t, rep), tc.want)
		})
	}
}

func TestKPIErrors(t *testing.T) {
	ix := NewIndex(workedLedger())
	jan1, jan31 := kd("2024-01-01"), kd("2024-01-31")
	for name, f := range map[string]func() (*KPIReport, error){
		"bad by":          func() (*KPIReport, error) { return ComputeKPIs(ix, jan1, jan31, "region", false) },
		"from after to":   func() (*KPIReport, error) { return ComputeKPIs(ix, jan31, jan1, "", false) },
		"unset from":      func() (*KPIReport, error) { return ComputeKPIs(ix, 0, jan31, "", false) },
		"nil index":       func() (*KPIReport, error) { return ComputeKPIs(nil, jan1, jan31, "", false) },
		"negative cb":     func() (*KPIReport, error) { return ComputeKPIsWith(ix, jan1, jan31, KPIOptions{CountbackMonths: -1}) },
		"case sensitive":  func() (*KPIReport, error) { return ComputeKPIs(ix, jan1, jan31, "Segment", false) },
		"beyond max date": func() (*KPIReport, error) { return ComputeKPIs(ix, jan1, datasets.MaxDate+1, "", false) },
	} {
		if rep, err := f(); err == nil {
			t.Errorf("%s: no error (report %+v)", name, rep)
		}
	}
	// One-day periods are fine.
	if _, err := ComputeKPIs(ix, jan1, jan1, "customer", true); err != nil {
		t.Errorf("one-day period: %v", err)
	}
}

// Money sums that do not fit a Money are an error naming the group, not a
// wrapped (negative) total: 10,000 invoices of the largest storable amount
// (10¹⁹ cents > 2⁶³), invoiced, owed and in the sales history, by one
// customer or across ten.
func TestKPIMoneyOverflow(t *testing.T) {
	for _, c := range []struct {
		name      string
		customers int
		by        string
		monthly   bool
	}{
		{"one customer", 1, "", false},
		{"one customer by customer", 1, "customer", false},
		{"ten customers by segment", 10, "segment", true},
		{"ten customers", 10, "", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &datasets.Ledger{}
			for i := range 10_000 {
				cust := fmt.Sprintf("C%d", i%c.customers)
				l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("I%d", i), CustomerID: cust,
					IssueDate: kd("2024-01-05"), DueDate: kd("2024-02-05"), Amount: datasets.MaxAmount, Segment: "retail"})
			}
			rep, err := ComputeKPIs(NewIndex(l), kd("2024-01-01"), kd("2024-01-31"), c.by, c.monthly)
			if !errors.Is(err, datasets.ErrOverflow) {
				t.Fatalf("err = %v (report %+v), want datasets.ErrOverflow", err, rep)
			}
		})
	}
	// 9,000 fit: 9·10¹⁸ cents < 2⁶³.
	l := &datasets.Ledger{}
	for i := range 9_000 {
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: fmt.Sprintf("I%d", i), CustomerID: "C",
			IssueDate: kd("2024-01-05"), DueDate: kd("2024-02-05"), Amount: datasets.MaxAmount})
	}
	rep, err := ComputeKPIs(NewIndex(l), kd("2024-01-01"), kd("2024-01-31"), "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rep.KPIs.Invoiced.Money(), 9_000*datasets.MaxAmount; got != want {
		t.Errorf("invoiced %v, want %v", got, want)
	}
}

func TestKPIJSONUndefined(t *testing.T) {
	// Nothing issued, settled or owed in June: every ratio is undefined.
	settled := workedLedger()
	settled.Invoices[1].SettledDate = kd("2024-02-10")
	rep, err := ComputeKPIs(NewIndex(settled), kd("2024-06-01"), kd("2024-06-30"), "country", true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if !json.Valid(b) || strings.Contains(string(b), "NaN") {
		t.Fatalf("bad JSON: %s", b)
	}
	m := kpiJSON(t, rep)
	want := map[string]any{
		"dso": nil, "best_possible_dso": nil, "add": nil, "cei": nil, "late_rate": nil, "recovery_rate": nil,
		"overdue_ratio": nil, "avg_days_to_pay": nil, "avg_days_to_pay_weighted": nil, "dispute_rate": nil,
		"dispute_resolution_days": nil, "promise_kept_rate": nil,
		"countback_dso": 0.0, "invoiced": 0.0, "receivables": 0.0, "aging.90_plus": 0.0,
		"months.0.dso": nil, "months.0.from": "2024-06-01", "months.0.to": "2024-06-30",
	}
	checkKPIs(t, m, want)
	for _, k := range []string{"from", "to", "days", "dso", "countback_dso", "best_possible_dso", "add", "cei",
		"late_rate", "recovery_rate", "aging", "receivables", "current_receivables", "overdue_receivables",
		"overdue_ratio", "invoiced", "collected", "avg_days_to_pay", "avg_days_to_pay_weighted", "dispute_rate",
		"dispute_resolution_days", "promise_kept_rate", "invoices_issued", "invoices_settled", "invoices_settled_late", "months"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing", k)
		}
	}
	if _, ok := m["groups"]; ok {
		t.Errorf("groups listed though no group had activity: %v", m["groups"])
	}
	// The JSON reads back into a report.
	var back KPIReport
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if back.DSO != nil || back.From != "2024-06-01" || back.Receivables != 0 || len(back.Months) != 1 {
		t.Errorf("round trip: %+v", back)
	}
	// Money is exact: 40,000.05 stays 40000.05.
	l := workedLedger()
	l.Invoices[1].Amount += 5
	rep, err = ComputeKPIs(NewIndex(l), kd("2024-01-01"), kd("2024-01-31"), "", false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(rep)
	if !strings.Contains(string(b), `"receivables":40000.05,`) {
		t.Errorf("receivables not encoded exactly: %s", b)
	}
	if err := json.Unmarshal(b, &back); err != nil || back.Receivables.Money() != 4000005 {
		t.Errorf("round trip of money: %v, %v", back.Receivables, err)
	}
}

// kpiRandomLedger is a plausible ledger: customers in three segments and
// countries, invoices over span days from start, mostly paid (some in
// parts, some late), some written off, some disputed, some with promises.
func kpiRandomLedger(seed uint64, customers, invoicesPer int, start datasets.Date, span int) *datasets.Ledger {
	r := rand.New(rand.NewPCG(seed, 7))
	segments := []string{"enterprise", "mid_market", "small_business"}
	countries := []string{"DE", "FR", "NL"}
	l := &datasets.Ledger{}
	for c := range customers {
		cust := datasets.Customer{ID: fmt.Sprintf("C%05d", c), Segment: segments[r.IntN(3)], Country: countries[r.IntN(3)]}
		// Currencies are set without drawing from r, so the rest of the
		// ledger is what it was before they existed.
		cust.Currency = []string{"EUR", "GBP"}[c%2]
		// Likewise the collectors; every fifth customer has none.
		cust.Collector = []string{"Ana", "Ben", "Cleo", "Dirk", ""}[c%5]
		l.Customers = append(l.Customers, cust)
		for k := range invoicesPer {
			id := fmt.Sprintf("%s-%d", cust.ID, k)
			issue := start.AddDays(r.IntN(span))
			v := datasets.Invoice{ID: id, CustomerID: cust.ID, IssueDate: issue, DueDate: issue.AddDays(30), Amount: datasets.Money(100 + r.IntN(1_000_000))}
			if r.IntN(20) == 0 {
				v.Segment = segments[r.IntN(3)]
			}
			if r.IntN(20) == 0 {
				v.Country = countries[r.IntN(3)]
			}
			if k%17 == 3 {
				v.Currency = "USD" // an invoice in another currency than its customer's
			}
			pay := func(d datasets.Date, amt datasets.Money) {
				l.Payments = append(l.Payments, datasets.Payment{ID: fmt.Sprint(id, "-p", d), CustomerID: cust.ID, InvoiceID: id, Date: d, Amount: amt})
			}
			switch x := r.IntN(100); {
			case x < 10: // open, maybe partly paid
				if r.IntN(2) == 0 {
					pay(issue.AddDays(r.IntN(60)), v.Amount/3)
				}
			case x < 15: // partly paid, then written off
				pay(issue.AddDays(20), v.Amount/4)
				wd := issue.AddDays(100 + r.IntN(100))
				l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: id + "-w", CustomerID: cust.ID, InvoiceID: id, Date: wd, Amount: v.Amount - v.Amount/4, Kind: datasets.KindWriteOff})
				v.SettledDate = wd
			case x < 20: // commercial credit note, rest paid
				cd := issue.AddDays(r.IntN(40))
				l.CreditNotes = append(l.CreditNotes, datasets.CreditNote{ID: id + "-n", CustomerID: cust.ID, InvoiceID: id, Date: cd, Amount: v.Amount / 10, Kind: datasets.KindCreditNote})
				v.SettledDate = cd.AddDays(r.IntN(60))
				pay(v.SettledDate, v.Amount-v.Amount/10)
			default: // paid in one or two parts, up to 120 days after issue
				v.SettledDate = issue.AddDays(r.IntN(120))
				if r.IntN(4) == 0 {
					mid := issue.AddDays(r.IntN(int(v.SettledDate-issue) + 1))
					pay(mid, v.Amount/2)
					pay(v.SettledDate, v.Amount-v.Amount/2)
				} else {
					pay(v.SettledDate, v.Amount)
				}
			}
			if r.IntN(15) == 0 {
				d := datasets.Dispute{ID: id + "-d", CustomerID: cust.ID, InvoiceID: id, Opened: issue.AddDays(r.IntN(40))}
				if r.IntN(2) == 0 {
					d.Resolved = d.Opened.AddDays(r.IntN(45))
				}
				l.Disputes = append(l.Disputes, d)
			}
			if r.IntN(12) == 0 {
				made := issue.AddDays(31 + r.IntN(30))
				st := []string{datasets.PromiseOpen, datasets.PromiseKept, datasets.PromiseBroken}[r.IntN(3)]
				l.Promises = append(l.Promises, datasets.Promise{ID: id + "-pr", CustomerID: cust.ID, InvoiceID: id, Made: made, PromisedDate: made.AddDays(r.IntN(20)), Status: st})
			}
			l.Invoices = append(l.Invoices, v)
		}
		if r.IntN(3) == 0 { // unallocated cash and a customer-level promise
			d := start.AddDays(r.IntN(span))
			l.Payments = append(l.Payments, datasets.Payment{ID: cust.ID + "-u", CustomerID: cust.ID, Date: d, Amount: datasets.Money(r.IntN(50_000))})
			l.Promises = append(l.Promises, datasets.Promise{ID: cust.ID + "-cp", CustomerID: cust.ID, Made: d, PromisedDate: d.AddDays(10), Status: datasets.PromiseKept})
		}
	}
	return l
}

// kpiAdditive lists the figures that groups and the portfolio must agree on.
func kpiAdditive(k *KPIs) []int64 {
	return []int64{
		int64(k.Invoiced), int64(k.Collected), int64(k.Receivables), int64(k.OpeningReceivables),
		int64(k.CurrentReceivables), int64(k.OverdueReceivables),
		int64(k.Aging.Current), int64(k.Aging.Days1To30), int64(k.Aging.Days31To60), int64(k.Aging.Days61To90), int64(k.Aging.Over90),
		int64(k.RecoveryBase), int64(k.Recovered),
		int64(k.UnappliedCash), int64(k.UnappliedCredits), int64(k.NetReceivables),
		int64(k.InvoicesIssued), int64(k.InvoicesSettled), int64(k.InvoicesSettledLate),
		int64(k.DisputesOpened), int64(k.DisputesResolved), int64(k.PromisesKept), int64(k.PromisesBroken),
	}
}

func TestKPIGroupsSumToPortfolio(t *testing.T) {
	l := withUnapplied(kpiRandomLedger(1, 60, 40, kd("2023-01-01"), 700), kd("2023-01-01"))
	ix := NewIndex(l)
	from, to := kd("2023-07-10"), kd("2024-02-20")
	for _, by := range KPIGroupings() {
		rep, err := ComputeKPIs(ix, from, to, by, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Groups) < 2 {
			t.Fatalf("by %s: %d groups", by, len(rep.Groups))
		}
		if rep.Invoiced <= 0 || rep.InvoicesSettledLate == 0 || rep.RecoveryBase == 0 || rep.DisputesOpened == 0 || rep.PromisesKept == 0 {
			t.Fatalf("ledger too thin for the test: %+v", rep.KPIs)
		}
		sum := make([]int64, len(kpiAdditive(&rep.KPIs)))
		monthSums := make([][]int64, len(rep.Months))
		for i := range monthSums {
			monthSums[i] = make([]int64, len(sum))
		}
		for gi, g := range rep.Groups {
			if gi > 0 && rep.Groups[gi-1].Key >= g.Key {
				t.Errorf("by %s: groups not sorted: %q then %q", by, rep.Groups[gi-1].Key, g.Key)
			}
			for i, x := range kpiAdditive(&g.KPIs) {
				sum[i] += x
			}
			if len(g.Months) != len(rep.Months) {
				t.Fatalf("by %s: group %s has %d months, want %d", by, g.Key, len(g.Months), len(rep.Months))
			}
			for m := range g.Months {
				for i, x := range kpiAdditive(&g.Months[m]) {
					monthSums[m][i] += x
				}
			}
		}
		if want := kpiAdditive(&rep.KPIs); fmt.Sprint(sum) != fmt.Sprint(want) {
			t.Errorf("by %s: groups sum to %v, portfolio has %v", by, sum, want)
		}
		for m := range rep.Months {
			if want := kpiAdditive(&rep.Months[m]); fmt.Sprint(monthSums[m]) != fmt.Sprint(want) {
				t.Errorf("by %s, month %d: groups sum to %v, portfolio has %v", by, m, monthSums[m], want)
			}
		}
	}
	// The portfolio's invoiced is every invoice issued in the period.
	var want datasets.Money
	for _, v := range l.Invoices {
		if v.IssueDate >= from && v.IssueDate <= to {
			want += v.Amount
		}
	}
	rep, _ := ComputeKPIs(ix, from, to, "", false)
	if rep.Invoiced.Money() != want || rep.Groups != nil {
		t.Errorf("invoiced %v, want %v; groups %v", rep.Invoiced, want, rep.Groups)
	}
}

func TestKPIMonthsCoverPeriod(t *testing.T) {
	ix := NewIndex(kpiRandomLedger(2, 30, 40, kd("2023-06-01"), 400))
	from, to := kd("2024-01-15"), kd("2024-04-10")
	rep, err := ComputeKPIs(ix, from, to, "", true)
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]string{{"2024-01-15", "2024-01-31"}, {"2024-02-01", "2024-02-29"}, {"2024-03-01", "2024-03-31"}, {"2024-04-01", "2024-04-10"}}
	if len(rep.Months) != len(want) {
		t.Fatalf("%d months, want %d", len(rep.Months), len(want))
	}
	days, issued := 0, 0
	var invoiced, collected datasets.Money
	for i, m := range rep.Months {
		if m.From != want[i][0] || m.To != want[i][1] {
			t.Errorf("month %d is %s..%s, want %s..%s", i, m.From, m.To, want[i][0], want[i][1])
		}
		if i > 0 && m.OpeningReceivables != rep.Months[i-1].Receivables {
			t.Errorf("month %d opens with %v, month %d closed with %v", i, m.OpeningReceivables, i-1, rep.Months[i-1].Receivables)
		}
		days += m.Days
		issued += m.InvoicesIssued
		invoiced += m.Invoiced.Money()
		collected += m.Collected.Money()
	}
	if days != rep.Days || days != 87 {
		t.Errorf("months have %d days, period %d, want 87", days, rep.Days)
	}
	if invoiced != rep.Invoiced.Money() || collected != rep.Collected.Money() || issued != rep.InvoicesIssued {
		t.Errorf("months sum to invoiced %v collected %v issued %d; period %v %v %d",
			invoiced, collected, issued, rep.Invoiced, rep.Collected, rep.InvoicesIssued)
	}
	first, last := rep.Months[0], rep.Months[len(rep.Months)-1]
	if first.OpeningReceivables != rep.OpeningReceivables || last.Receivables != rep.Receivables || last.Aging != rep.Aging {
		t.Errorf("months do not start and end where the period does")
	}
	if *last.CountbackDSO != *rep.CountbackDSO {
		t.Errorf("countback of the last month %v differs from the period's %v", *last.CountbackDSO, *rep.CountbackDSO)
	}
	// A one-month period equals its monthly breakdown.
	rep, err = ComputeKPIs(ix, kd("2024-02-01"), kd("2024-02-29"), "", true)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(rep.KPIs)
	b, _ := json.Marshal(rep.Months[0])
	if len(rep.Months) != 1 || string(a) != string(b) {
		t.Errorf("February alone:\n%s\nits month:\n%s", a, b)
	}
}

func TestKPIPointInTime(t *testing.T) {
	l := kpiRandomLedger(3, 40, 40, kd("2023-01-01"), 600)
	from, to := kd("2023-05-01"), kd("2023-10-31")
	// l2 adds what happens after to: new invoices and customers, payments,
	// settlements, credit notes, dispute openings and resolutions, promises.
	l2 := *l
	l2.Invoices = append([]datasets.Invoice(nil), l.Invoices...)
	l2.Payments = append([]datasets.Payment(nil), l.Payments...)
	l2.CreditNotes = append([]datasets.CreditNote(nil), l.CreditNotes...)
	l2.Disputes = append([]datasets.Dispute(nil), l.Disputes...)
	l2.Promises = append([]datasets.Promise(nil), l.Promises...)
	for i := range l2.Invoices {
		v := &l2.Invoices[i]
		if v.IssueDate <= to && v.SettledDate == 0 {
			v.SettledDate = to.AddDays(1 + i%40)
			l2.Payments = append(l2.Payments, datasets.Payment{ID: v.ID + "-late", CustomerID: v.CustomerID, InvoiceID: v.ID, Date: v.SettledDate, Amount: v.Amount})
			l2.CreditNotes = append(l2.CreditNotes, datasets.CreditNote{ID: v.ID + "-wl", CustomerID: v.CustomerID, InvoiceID: v.ID, Date: to.AddDays(1), Amount: v.Amount, Kind: datasets.KindWriteOff})
			l2.Disputes = append(l2.Disputes, datasets.Dispute{ID: v.ID + "-dl", CustomerID: v.CustomerID, InvoiceID: v.ID, Opened: to.AddDays(2)})
			l2.Promises = append(l2.Promises, datasets.Promise{ID: v.ID + "-pl", CustomerID: v.CustomerID, InvoiceID: v.ID, Made: to.AddDays(1), PromisedDate: to.AddDays(5), Status: datasets.PromiseKept})
		}
	}
	for i := range l2.Disputes {
		if d := &l2.Disputes[i]; d.Opened <= to && d.Resolved == 0 {
			d.Resolved = to.AddDays(3)
		}
	}
	for i, c := range append(append([]datasets.Customer(nil), l.Customers[:5]...), datasets.Customer{ID: "NEW", Segment: "new"}) {
		id := fmt.Sprint("future-", i)
		l2.Invoices = append(l2.Invoices, datasets.Invoice{ID: id, CustomerID: c.ID, IssueDate: to.AddDays(1 + i), DueDate: to.AddDays(31), Amount: km(5000), Segment: "other"})
		l2.Payments = append(l2.Payments, datasets.Payment{ID: id + "-p", CustomerID: c.ID, Date: to.AddDays(2), Amount: km(10)})
	}
	if len(l2.Invoices) == len(l.Invoices) || len(l2.Disputes) == len(l.Disputes) {
		t.Fatal("nothing added after to")
	}
	for _, by := range append([]string{""}, KPIGroupings()...) {
		a, err := ComputeKPIs(NewIndex(l), from, to, by, true)
		if err != nil {
			t.Fatal(err)
		}
		b, err := ComputeKPIs(NewIndex(&l2), from, to, by, true)
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("by %q: later events changed the KPIs of %s..%s", by, from, to)
		}
	}
}

// TestKPIMatchesDirectSums recomputes the portfolio's receivables and flows
// straight from the ledger, without Index, on a random ledger.
func TestKPIMatchesDirectSums(t *testing.T) {
	l := kpiRandomLedger(4, 30, 30, kd("2023-01-01"), 500)
	from, to := kd("2023-06-10"), kd("2023-11-20")
	rep, err := ComputeKPIs(NewIndex(l), from, to, "", false)
	if err != nil {
		t.Fatal(err)
	}
	owed := func(v *datasets.Invoice, d datasets.Date) datasets.Money {
		if v.IssueDate > d || v.SettledDate != 0 && v.SettledDate <= d {
			return 0
		}
		left := v.Amount
		for _, p := range l.Payments {
			if p.InvoiceID == v.ID && p.Date <= d {
				left -= p.Amount
			}
		}
		for _, n := range l.CreditNotes {
			if n.InvoiceID == v.ID && n.Date <= d {
				left -= n.Amount
			}
		}
		return max(left, 0)
	}
	var ar, cur, opening, invoiced, collected datasets.Money
	settled, late := 0, 0
	for i := range l.Invoices {
		v := &l.Invoices[i]
		ar += owed(v, to)
		opening += owed(v, from-1)
		if v.DueDate >= to {
			cur += owed(v, to)
		}
		if v.IssueDate >= from && v.IssueDate <= to {
			invoiced += v.Amount
		}
		if v.SettledDate >= from && v.SettledDate <= to {
			settled++
			if v.SettledDate > v.DueDate {
				late++
			}
		}
	}
	for _, p := range l.Payments {
		if p.Date >= from && p.Date <= to {
			collected += p.Amount
		}
	}
	got := []datasets.Money{rep.Receivables.Money(), rep.CurrentReceivables.Money(), rep.OpeningReceivables.Money(), rep.Invoiced.Money(), rep.Collected.Money()}
	want := []datasets.Money{ar, cur, opening, invoiced, collected}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("receivables, current, opening, invoiced, collected = %v, want %v", got, want)
	}
	if rep.InvoicesSettled != settled || rep.InvoicesSettledLate != late {
		t.Errorf("settled %d late %d, want %d %d", rep.InvoicesSettled, rep.InvoicesSettledLate, settled, late)
	}
	days := float64(to - from + 1)
	if math.Abs(*rep.DSO-float64(ar)/float64(invoiced)*days) > 1e-9 {
		t.Errorf("dso %v", *rep.DSO)
	}
}

func BenchmarkComputeKPIs(b *testing.B) {
	l := kpiRandomLedger(5, 50_000, 20, kd("2022-01-01"), 1000)
	ix := NewIndex(l)
	from, to := kd("2024-01-01"), kd("2024-09-26")
	for _, bc := range []struct {
		by      string
		monthly bool
	}{{"", false}, {"segment", true}, {"customer", true}} {
		b.Run(fmt.Sprintf("by=%s,monthly=%v", bc.by, bc.monthly), func(b *testing.B) {
			for b.Loop() {
				if _, err := ComputeKPIs(ix, from, to, bc.by, bc.monthly); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// kpiParts splits l in n parts of whole customers, each credit note going
// with its invoice's customer, as chstore's LoadPart does.
func kpiParts(l *datasets.Ledger, n int) []*datasets.Ledger {
	parts := make([]*datasets.Ledger, n)
	for k := range parts {
		parts[k] = &datasets.Ledger{}
	}
	part := func(customer string) *datasets.Ledger {
		h := 0
		for _, b := range []byte(customer) {
			h = h*31 + int(b)
		}
		return parts[(h%n+n)%n]
	}
	owner := map[string]string{}
	for _, v := range l.Invoices {
		owner[v.ID] = v.CustomerID
	}
	splitRows(l.Invoices, part, func(v datasets.Invoice) string { return v.CustomerID }, func(p *datasets.Ledger) *[]datasets.Invoice { return &p.Invoices })
	splitRows(l.Customers, part, func(c datasets.Customer) string { return c.ID }, func(p *datasets.Ledger) *[]datasets.Customer { return &p.Customers })
	splitRows(l.Payments, part, func(v datasets.Payment) string { return v.CustomerID }, func(p *datasets.Ledger) *[]datasets.Payment { return &p.Payments })
	splitRows(l.CreditNotes, part, func(cn datasets.CreditNote) string {
		if o, ok := owner[cn.InvoiceID]; ok {
			return o
		}
		return cn.CustomerID
	}, func(p *datasets.Ledger) *[]datasets.CreditNote { return &p.CreditNotes })
	splitRows(l.Disputes, part, func(v datasets.Dispute) string { return v.CustomerID }, func(p *datasets.Ledger) *[]datasets.Dispute { return &p.Disputes })
	splitRows(l.Actions, part, func(v datasets.Action) string { return v.CustomerID }, func(p *datasets.Ledger) *[]datasets.Action { return &p.Actions })
	splitRows(l.Promises, part, func(v datasets.Promise) string { return v.CustomerID }, func(p *datasets.Ledger) *[]datasets.Promise { return &p.Promises })
	splitRows(l.CreditDecisions, part, func(v datasets.CreditDecision) string { return v.CustomerID }, func(p *datasets.Ledger) *[]datasets.CreditDecision { return &p.CreditDecisions })
	return parts
}

// splitRows appends each of rows to the part of its customer.
func splitRows[T any](rows []T, part func(string) *datasets.Ledger, customer func(T) string, slice func(*datasets.Ledger) *[]T) {
	for _, r := range rows {
		s := slice(part(customer(r)))
		*s = append(*s, r)
	}
}

// KPIs computed part by part (KPIRun) are those of the whole ledger, for
// every grouping, monthly or not, in any number of parts.
func TestKPIRunInPartsIsWhole(t *testing.T) {
	l := withUnapplied(kpiRandomLedger(3, 80, 30, kd("2023-01-01"), 600), kd("2023-01-01"))
	from, to := kd("2023-07-01"), kd("2024-03-31")
	ix := NewIndex(l)
	for _, by := range append([]string{""}, KPIGroupings()...) {
		for _, monthly := range []bool{false, true} {
			o := KPIOptions{By: by, Monthly: monthly}
			want, err := ComputeKPIsWith(ix, from, to, o)
			if err != nil {
				t.Fatal(err)
			}
			wantJSON, _ := json.Marshal(want)
			for _, n := range []int{1, 2, 7} {
				r, err := NewKPIRun(from, to, o, FactsOf(l))
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range kpiParts(l, n) {
					if err := r.Add(NewIndex(p)); err != nil {
						t.Fatal(err)
					}
				}
				got, err := r.Report()
				if err != nil {
					t.Fatal(err)
				}
				if gotJSON, _ := json.Marshal(got); string(gotJSON) != string(wantJSON) {
					t.Errorf("by %q, monthly %v, %d parts: report differs from the whole ledger's:\n%s\nwant\n%s", by, monthly, n, gotJSON, wantJSON)
				}
			}
		}
	}
}

// Features from an index of a part of the ledger (NewPartIndex with the
// whole ledger's facts) are the whole index's for the same customers, with
// and without dispute records (without, the disputed flag is known only as
// of the whole ledger's latest date, which a part alone would misjudge).
func TestPartIndexFeaturesAreWhole(t *testing.T) {
	start := kd("2023-01-01")
	for _, disputes := range []bool{true, false} {
		l := randomLedger(4, 40, start, 500)
		if !disputes {
			l.Disputes = nil
		}
		// One customer's late invoice makes the whole ledger's latest date
		// (start+700) later than any other part's; flag disputes widely.
		l.Invoices = append(l.Invoices, datasets.Invoice{ID: "LATE", CustomerID: "C000", IssueDate: start.AddDays(690),
			DueDate: start.AddDays(720), SettledDate: start.AddDays(700), Amount: 100})
		for i := range l.Invoices {
			l.Invoices[i].Disputed = l.Invoices[i].Disputed || i%4 == 0
		}
		whole := NewIndex(l)
		for _, asOf := range []datasets.Date{start.AddDays(200), start.AddDays(499), start.AddDays(600)} {
			for _, level := range []string{"customer", "invoice"} {
				table := func(ix *Index) *Table {
					e := NewEngine(ix, Options{})
					if level == "invoice" {
						return e.OpenInvoices(asOf)
					}
					return e.Customers(asOf)
				}
				want := map[string]string{}
				var b strings.Builder
				wt := table(whole)
				for i := range wt.Rows {
					want[wt.Rows[i].CustomerID+"|"+wt.Rows[i].InvoiceID] = strings.Join(wt.record(&wt.Rows[i]), ",")
				}
				seen := 0
				for _, p := range kpiParts(l, 3) {
					pt := table(NewPartIndex(p, whole.Facts()))
					for i := range pt.Rows {
						k := pt.Rows[i].CustomerID + "|" + pt.Rows[i].InvoiceID
						if got := strings.Join(pt.record(&pt.Rows[i]), ","); got != want[k] {
							fmt.Fprintf(&b, "%s: %s\n  want %s\n", k, got, want[k])
						}
						seen++
					}
				}
				if b.Len() > 0 || seen != len(wt.Rows) {
					t.Errorf("disputes %v, %s level as of %s: parts give %d rows, the whole %d; differences:\n%s",
						disputes, level, asOf, seen, len(wt.Rows), b.String())
				}
			}
		}
	}
}

// Settled is not paid: a ledger exported without its credit notes recovers
// what the full ledger does, because the settlements that no cash covers
// are read as the write-offs they were (datasets.ImpliedWriteOffs). Without
// payment records nothing is implied.
func TestKPIRecoveryWithoutCreditNotes(t *testing.T) {
	l := kpiRandomLedger(1, 60, 40, kd("2023-01-01"), 700)
	bare := *l
	bare.CreditNotes = nil
	from, to := kd("2023-07-10"), kd("2024-02-20")
	full, err := ComputeKPIs(NewIndex(l), from, to, "", false)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ComputeKPIs(NewIndex(&bare), from, to, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if full.RecoveryBase == 0 || full.Recovered >= full.RecoveryBase {
		t.Fatalf("ledger too thin for the test: recovered %s of %s", full.Recovered, full.RecoveryBase)
	}
	if got.RecoveryBase != full.RecoveryBase || got.Recovered != full.Recovered {
		t.Fatalf("without credit notes: recovered %s of %s, want %s of %s (the full ledger's)",
			got.Recovered, got.RecoveryBase, full.Recovered, full.RecoveryBase)
	}
	if n := NewIndex(&bare).ImpliedNotes(); n == 0 {
		t.Fatal("no implied notes on a ledger without credit notes")
	}
	// An index of the full ledger implies none where its notes cover.
	if n := NewIndex(l).ImpliedNotes(); n != 0 {
		t.Fatalf("%d implied notes on the full ledger, want 0", n)
	}
	noPay := bare
	noPay.Payments = nil
	if n := NewIndex(&noPay).ImpliedNotes(); n != 0 {
		t.Fatalf("%d implied notes on a ledger without payments, want 0", n)
	}
}

// On a ledger without payment records (a cleared-items export) collected
// is what the settlements in the period cleared, and says so; on one with
// payments it stays the payments.
func TestKPICollectedOnClearedItems(t *testing.T) {
	cn := func(id, inv, date string, amount float64) datasets.CreditNote {
		return datasets.CreditNote{ID: id, CustomerID: "C1", InvoiceID: inv, Date: kd(date), Amount: km(amount), Kind: datasets.KindCreditNote}
	}
	cleared := &datasets.Ledger{
		Customers: []datasets.Customer{{ID: "C1", Segment: "enterprise"}, {ID: "C2", Segment: "smb"}},
		Invoices: []datasets.Invoice{
			kinv("A", "C1", "2024-03-10", "2024-04-09", 1000, "2024-04-15"), // owed at the opening, cleared in April
			kinv("B", "C1", "2024-04-05", "2024-05-05", 500, "2024-05-10"),  // 100 credited first: 400 cleared in May
			kinv("C", "C1", "2024-04-10", "2024-05-10", 300, "2024-05-01"),  // credited in full the day it cleared: 0
			kinv("D", "C2", "2024-05-01", "2024-05-31", 700, ""),            // open
			kinv("E", "C2", "2024-06-01", "2024-07-01", 200, "2024-07-02"),  // cleared after the period
			kinv("F", "C2", "2024-06-10", "2024-06-10", -50, "2024-06-10"),  // a credit memo: never below zero
			kinv("G", "C2", "2024-01-10", "2024-02-09", 80, "2024-03-31"),   // cleared before the period
		},
		CreditNotes: []datasets.CreditNote{cn("n1", "B", "2024-04-20", 100), cn("n2", "C", "2024-05-01", 300)},
	}
	rep, err := ComputeKPIsWith(NewIndex(cleared), kd("2024-04-01"), kd("2024-06-30"), KPIOptions{By: "segment", Monthly: true})
	if err != nil {
		t.Fatal(err)
	}
	checkKPIs(t, kpiJSON(t, rep), map[string]any{
		"collected": 1400.0, "collected_basis": "cleared",
		"opening_receivables": 1000.0, "invoiced": 1650.0, "receivables": 900.0,
		"months.0.collected": 1000.0, "months.0.collected_basis": "cleared",
		"months.1.collected": 400.0, "months.2.collected": 0.0, "months.2.collected_basis": "cleared",
		"groups.0.key": "enterprise", "groups.0.collected": 1400.0, "groups.0.collected_basis": "cleared",
		"groups.1.key": "smb", "groups.1.collected": 0.0,
	})
	// In parts, each without the others' records, the basis is the whole
	// ledger's.
	paid := *cleared
	paid.Payments = []datasets.Payment{kpay("P1", "C2", "G", "2024-03-31", 80)}
	for _, c := range []struct {
		name      string
		l         *datasets.Ledger
		collected float64
		basis     string
	}{{"cleared", cleared, 1400, CollectedCleared}, {"with payments", &paid, 0, CollectedPayments}} {
		r, err := NewKPIRun(kd("2024-04-01"), kd("2024-06-30"), KPIOptions{}, FactsOf(c.l))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range kpiParts(c.l, 2) {
			if err := r.Add(NewPartIndex(p, FactsOf(c.l))); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.Report()
		if err != nil {
			t.Fatal(err)
		}
		if got.Collected != KPIMoney(km(c.collected)) || got.CollectedBasis != c.basis {
			t.Errorf("%s, in parts: collected %s (%s), want %.2f (%s)", c.name, got.Collected, got.CollectedBasis, c.collected, c.basis)
		}
	}
}
