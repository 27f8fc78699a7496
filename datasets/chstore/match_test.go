package chstore

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/dsopilot/dsopilot/datasets"
)

// matchRow is one invoice_match row as the tests compare it: the arrays
// as sorted lists of "day/cents" (their order is the server's).
type matchRow struct {
	Invoice                bool
	Issue, Due, Settled    int32
	Cents                  int64
	Disputed               bool
	Sale                   string // country/segment/channel
	Pays, Actions, Promise []string
	Credits                []string // the credit notes naming the invoice id: "day/cents/id"
}

// wantMatch is the match of ledger l, built in Go: each invoice, payment,
// action (but a holdout's wait) and promise under its customer and the
// invoice id it names; and in every row of an invoice id, the credit
// notes naming it, whoever's they are.
func wantMatch(l *datasets.Ledger) map[[2]string]matchRow {
	out := map[[2]string]matchRow{}
	get := func(c, i string) matchRow { return out[[2]string{c, i}] }
	for _, v := range l.Invoices {
		r := get(v.CustomerID, v.ID)
		r.Invoice, r.Issue, r.Due, r.Settled, r.Cents = true, int32(v.IssueDate), int32(v.DueDate), int32(v.SettledDate), int64(v.Amount)
		r.Disputed, r.Sale = v.Disputed, v.Country+"/"+v.Segment+"/"+v.Channel
		out[[2]string{v.CustomerID, v.ID}] = r
	}
	for _, p := range l.Payments {
		r := get(p.CustomerID, p.InvoiceID)
		r.Pays = append(r.Pays, fmt.Sprintf("%d/%d", int32(p.Date), int64(p.Amount)))
		out[[2]string{p.CustomerID, p.InvoiceID}] = r
	}
	for _, a := range l.Actions {
		r := get(a.CustomerID, a.InvoiceID)
		if a.Type != datasets.ActionWait {
			r.Actions = append(r.Actions, fmt.Sprint(int32(a.Date)))
		}
		out[[2]string{a.CustomerID, a.InvoiceID}] = r
	}
	for _, p := range l.Promises {
		r := get(p.CustomerID, p.InvoiceID)
		r.Promise = append(r.Promise, fmt.Sprintf("%d/%d/%d", int32(p.Made), int32(p.PromisedDate), int64(p.Amount)))
		out[[2]string{p.CustomerID, p.InvoiceID}] = r
	}
	for _, n := range l.CreditNotes {
		for k, r := range out {
			if n.InvoiceID != "" && k[1] == n.InvoiceID {
				r.Credits = append(r.Credits, fmt.Sprintf("%d/%d/%s", int32(n.Date), int64(n.Amount), n.ID))
				out[k] = r
			}
		}
	}
	for k, r := range out {
		for _, a := range [][]string{r.Pays, r.Actions, r.Promise, r.Credits} {
			sort.Strings(a)
		}
		out[k] = r
	}
	return out
}

// storedMatch reads the match as the feature engine does (FINAL), leaving
// out the empty rows that stand for no row.
func storedMatch(t *testing.T, s *Store) map[[2]string]matchRow {
	t.Helper()
	rows, err := s.Query(context.Background(), `
		SELECT customer_id, invoice_id, invoice, issue_day, due_day, settled_day, cents, disputed,
			if(invoice = 1, concat(country, '/', segment, '/', channel), ''),
			arrayMap((d, c) -> concat(toString(d), '/', toString(c)), pay_days, pay_cents),
			arrayMap(d -> toString(d), action_days),
			arrayMap((d, u, c) -> concat(toString(d), '/', toString(u), '/', toString(c)), promise_days, promised_days, promise_cents),
			arrayMap((d, c, id) -> concat(toString(d), '/', toString(c), '/', id), credit_days, credit_cents, credit_ids)
		FROM invoice_match FINAL
		WHERE invoice = 1 OR notEmpty(source_ids)`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[[2]string]matchRow{}
	for rows.Next() {
		var (
			c, i string
			inv  uint8
			disp uint8
			r    matchRow
		)
		if err := rows.Scan(&c, &i, &inv, &r.Issue, &r.Due, &r.Settled, &r.Cents, &disp, &r.Sale, &r.Pays, &r.Actions, &r.Promise, &r.Credits); err != nil {
			t.Fatal(err)
		}
		r.Invoice, r.Disputed = inv == 1, disp == 1
		for _, a := range []*[]string{&r.Pays, &r.Actions, &r.Promise, &r.Credits} {
			if len(*a) == 0 {
				*a = nil
			}
			sort.Strings(*a)
		}
		if r.Actions == nil && len(r.Pays)+len(r.Promise) == 0 && !r.Invoice {
			// A row of wait actions alone: the same as none to a reader,
			// but kept for the ids it holds.
			continue
		}
		out[[2]string{c, i}] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func withoutWaitOnly(m map[[2]string]matchRow) map[[2]string]matchRow {
	for k, r := range m {
		if !r.Invoice && len(r.Pays)+len(r.Actions)+len(r.Promise) == 0 {
			delete(m, k)
		}
	}
	return m
}

func assertMatch(t *testing.T, s *Store, l *datasets.Ledger) {
	t.Helper()
	if err := s.SyncMatch(context.Background()); err != nil {
		t.Fatal(err)
	}
	want, got := withoutWaitOnly(wantMatch(l)), storedMatch(t, s)
	if reflect.DeepEqual(got, want) {
		assertCustomerMatch(t, s, l)
		return
	}
	var diff []string
	for k, w := range want {
		if g, ok := got[k]; !ok || !reflect.DeepEqual(g, w) {
			diff = append(diff, fmt.Sprintf("%v: got %+v (stored %v), want %+v", k, g, ok, w))
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			diff = append(diff, fmt.Sprintf("%v: got %+v, want no row", k, g))
		}
	}
	slices.Sort(diff)
	t.Fatalf("invoice match differs from the ledger's in %d rows:\n%s", len(diff), strings.Join(diff[:min(len(diff), 10)], "\n"))
}

// matchLedger is a small ledger with every kind of match row: invoices
// with and without payments, actions and promises, payments and actions
// naming no invoice or another customer's, a holdout's wait.
func matchLedger() *datasets.Ledger {
	d := datasets.NewDate(2024, 1, 1)
	l := &datasets.Ledger{}
	for c := range 6 {
		cust := fmt.Sprintf("C%d", c)
		for i := range 4 {
			id := fmt.Sprintf("I%d-%d", c, i)
			l.Invoices = append(l.Invoices, datasets.Invoice{ID: id, CustomerID: cust, IssueDate: d.AddDays(10 * i),
				DueDate: d.AddDays(10*i + 30), Amount: datasets.Money(1000*(c+1) + i), Currency: "EUR",
				Disputed: i == 2, Country: "DE", Segment: fmt.Sprint("S", i), Channel: "web"})
			if i%2 == 0 {
				l.Payments = append(l.Payments, datasets.Payment{ID: "P" + id, CustomerID: cust, InvoiceID: id,
					Date: d.AddDays(10*i + 25), Amount: datasets.Money(500 + c), Currency: "EUR"})
			}
			if i == 1 {
				l.Actions = append(l.Actions, datasets.Action{ID: "A" + id, CustomerID: cust, InvoiceID: id, Date: d.AddDays(45), Type: "reminder"})
				l.Promises = append(l.Promises, datasets.Promise{ID: "R" + id, CustomerID: cust, InvoiceID: id, Made: d.AddDays(46),
					PromisedDate: d.AddDays(50), Amount: 300})
			}
		}
		l.Payments = append(l.Payments, datasets.Payment{ID: "PU" + cust, CustomerID: cust, Date: d.AddDays(70), Amount: 42, Currency: "EUR"})
		l.Actions = append(l.Actions, datasets.Action{ID: "AU" + cust, CustomerID: cust, Date: d.AddDays(60), Type: "call"},
			datasets.Action{ID: "AW" + cust, CustomerID: cust, Date: d.AddDays(61), Type: datasets.ActionWait})
	}
	// A parent company pays a subsidiary's invoice.
	l.Payments = append(l.Payments, datasets.Payment{ID: "PX", CustomerID: "C0", InvoiceID: "I1-3", Date: d.AddDays(80), Amount: 7, Currency: "EUR"})
	// Credit notes: on a customer's own invoice (two), on an invoice a
	// parent company also paid, filed under another customer than the
	// invoice's, naming no invoice, and naming one the ledger lacks.
	l.CreditNotes = []datasets.CreditNote{
		{ID: "N1", CustomerID: "C1", InvoiceID: "I1-0", Date: d.AddDays(20), Amount: 100},
		{ID: "N2", CustomerID: "C1", InvoiceID: "I1-0", Date: d.AddDays(40), Amount: 50},
		{ID: "N3", CustomerID: "C1", InvoiceID: "I1-3", Date: d.AddDays(35), Amount: 60},
		{ID: "N4", CustomerID: "C5", InvoiceID: "I2-2", Date: d.AddDays(30), Amount: 70},
		{ID: "N5", CustomerID: "C3", Date: d.AddDays(30), Amount: 80},
		{ID: "N6", CustomerID: "C4", InvoiceID: "I9-9", Date: d.AddDays(30), Amount: 90},
	}
	return l
}

// The match follows the ledger through every kind of import: in one
// batch or one table at a time, again (idempotent), with a payment added
// to an old invoice, and with records moving to another customer or
// invoice, which must leave their old rows.
func TestInvoiceMatchFollowsImports(t *testing.T) {
	for name, migrated := range map[string]func(testing.TB) (*Store, string){"server": openMigrated, "cluster": openMigratedCluster} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := migrated(t)
			// Rebuilds in runs of two customers, as a large ledger's are
			// in runs of matchRebuildCustomers.
			s.matchChunk = 2
			l := matchLedger()
			// One table at a time, as the importer sends files.
			for _, b := range []*datasets.Ledger{{Invoices: l.Invoices}, {Payments: l.Payments}, {Actions: l.Actions, Promises: l.Promises}, {CreditNotes: l.CreditNotes}} {
				if err := s.Put(ctx, b); err != nil {
					t.Fatal(err)
				}
			}
			assertMatch(t, s, l)
			// Again: nothing changes.
			if err := s.Put(ctx, l); err != nil {
				t.Fatal(err)
			}
			assertMatch(t, s, l)
			// A later export adds a payment to an old invoice, moves an
			// invoice, a payment, an action and a promise to other
			// customers, and re-links a payment to another invoice.
			later := &datasets.Ledger{
				Payments: []datasets.Payment{
					{ID: "PNEW", CustomerID: "C2", InvoiceID: "I2-1", Date: datasets.NewDate(2024, 3, 1), Amount: 99, Currency: "EUR"},
					{ID: "PI3-0", CustomerID: "C4", InvoiceID: "I4-0", Date: datasets.NewDate(2024, 2, 1), Amount: 11, Currency: "EUR"},
					{ID: "PI1-2", CustomerID: "C1", InvoiceID: "I1-1", Date: datasets.NewDate(2024, 2, 2), Amount: 12, Currency: "EUR"},
				},
				Invoices: []datasets.Invoice{{ID: "I0-3", CustomerID: "C5", IssueDate: datasets.NewDate(2024, 1, 31),
					DueDate: datasets.NewDate(2024, 3, 1), Amount: 5, Currency: "EUR"}},
				Actions:  []datasets.Action{{ID: "AI0-1", CustomerID: "C3", InvoiceID: "I3-1", Date: datasets.NewDate(2024, 2, 15), Type: "call"}},
				Promises: []datasets.Promise{{ID: "RI0-1", CustomerID: "C3", InvoiceID: "", Made: datasets.NewDate(2024, 2, 16), PromisedDate: datasets.NewDate(2024, 2, 20), Amount: 1}},
			}
			if err := s.Put(ctx, later); err != nil {
				t.Fatal(err)
			}
			merged, err := s.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			assertMatch(t, s, merged)
			if err := s.Put(ctx, later); err != nil {
				t.Fatal(err)
			}
			assertMatch(t, s, merged)
			// Credit notes alone: a new one on an old invoice, one moved
			// to another invoice (and another customer), one that now
			// names an invoice, one that no longer does.
			notes := &datasets.Ledger{CreditNotes: []datasets.CreditNote{
				{ID: "N7", CustomerID: "C0", InvoiceID: "I0-0", Date: datasets.NewDate(2024, 3, 3), Amount: 5},
				{ID: "N1", CustomerID: "C4", InvoiceID: "I4-1", Date: datasets.NewDate(2024, 1, 21), Amount: 100},
				{ID: "N5", CustomerID: "C3", InvoiceID: "I3-2", Date: datasets.NewDate(2024, 1, 31), Amount: 80},
				{ID: "N3", CustomerID: "C1", Date: datasets.NewDate(2024, 2, 5), Amount: 60},
				// A write-off note, which customer_match carries apart.
				{ID: "W1", CustomerID: "C0", InvoiceID: "I0-0", Date: datasets.NewDate(2024, 3, 4), Amount: 7, Kind: datasets.KindWriteOff},
			}}
			for range 2 { // and again: nothing changes
				if err := s.Put(ctx, notes); err != nil {
					t.Fatal(err)
				}
				if merged, err = s.Load(ctx); err != nil {
					t.Fatal(err)
				}
				assertMatch(t, s, merged)
			}
		})
	}
}

// TestInvoiceMatchSyncsWhatAnotherProcessWrote: a Store opened after an
// import that never synced (another process, killed before its end, or the
// API's ingest) finds the match behind the ledger from the version the
// match records, and builds it; a second sync finds nothing to do.
func TestInvoiceMatchSyncsWhatAnotherProcessWrote(t *testing.T) {
	for name, migrated := range map[string]func(testing.TB) (*Store, string){"server": openMigrated, "cluster": openMigratedCluster} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			writer, dsn := migrated(t)
			l := matchLedger()
			if err := writer.Put(ctx, l); err != nil {
				t.Fatal(err)
			}
			reader := open(t, dsn)
			if got := storedMatch(t, reader); len(got) != 0 {
				t.Fatalf("the match holds %d rows before any sync; the test needs it empty", len(got))
			}
			assertMatch(t, reader, l)
			built := matchBuilt(t, reader)
			if err := reader.SyncMatch(ctx); err != nil {
				t.Fatal(err)
			}
			if again := matchBuilt(t, reader); again != built {
				t.Errorf("a sync of a current match rebuilt it: built version %d, then %d", built, again)
			}
			// A later write by the first store, synced by the second.
			later := &datasets.Ledger{Payments: []datasets.Payment{
				{ID: "PLATE", CustomerID: "C2", InvoiceID: "I2-1", Date: datasets.NewDate(2024, 3, 2), Amount: 7, Currency: "EUR"},
			}}
			if err := writer.Put(ctx, later); err != nil {
				t.Fatal(err)
			}
			merged, err := reader.Load(ctx)
			if err != nil {
				t.Fatal(err)
			}
			assertMatch(t, reader, merged)
		})
	}
}

// matchBuilt is the highest version in the match, summed over the
// servers: what a sync that rebuilds or marks anything raises.
func matchBuilt(t *testing.T, s *Store) uint64 {
	t.Helper()
	var v uint64
	if err := s.QueryRow(context.Background(), "SELECT sum(version) FROM invoice_match").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
