package datasets

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
)

// InvoiceTerms are the payment terms a customer's invoices show, for a
// customer whose master gives none: a ledger imported without a customer
// master derives its customers from the invoices, with zero Terms, which
// print as NET0 although the invoices are due 30 or 60 days after issue.
// The credit workflow sizes such a customer's need on its invoices' terms
// too ("60-day terms (from its invoices)").
type InvoiceTerms struct {
	// Days from issue to due that most invoices have (the shortest of
	// those on a tie); Shortest and Longest bound them all.
	Days, Shortest, Longest int
	// N is how many invoices were counted; 0 when none.
	N int
}

// TermsOfInvoices is the InvoiceTerms of invs issued by the end of asOf
// (0: all of them).
func TermsOfInvoices(invs []Invoice, asOf Date) InvoiceTerms {
	var days []int
	for i := range invs {
		if v := &invs[i]; asOf == 0 || v.IssueDate <= asOf {
			days = append(days, int(v.DueDate-v.IssueDate))
		}
	}
	return TermsOfDays(days)
}

// TermsOfDays is the InvoiceTerms of invoices due days[i] days after
// their issue; a negative count (a due date before the issue date, which
// the importer refuses) is left out.
func TermsOfDays(days []int) InvoiceTerms {
	count := map[int]int{}
	var t InvoiceTerms
	for _, d := range days {
		if d < 0 {
			continue
		}
		if t.N == 0 || d < t.Shortest {
			t.Shortest = d
		}
		t.Longest = max(t.Longest, d)
		count[d]++
		t.N++
	}
	keys := make([]int, 0, len(count))
	for d := range count {
		keys = append(keys, d)
	}
	slices.Sort(keys)
	best := 0
	for _, d := range keys {
		if count[d] > best {
			t.Days, best = d, count[d]
		}
	}
	return t
}

// String says the terms as a credit manager reads them, saying they are
// the invoices': "NET60 (from its invoices)", or with the range when they
// vary, "NET60 (from its invoices, which run 30 to 60 days)"; "" when
// no invoice was counted.
func (t InvoiceTerms) String() string {
	switch {
	case t.N == 0:
		return ""
	case t.Shortest == t.Longest:
		return fmt.Sprintf("NET%d (from its invoices)", t.Days)
	}
	return fmt.Sprintf("NET%d (from its invoices, which run %d to %d days)", t.Days, t.Shortest, t.Longest)
}

// Terms keys. An ERP writes an invoice's payment terms as its own key
// (SAP's ZTERM: ZB30, ZN60, 0001), which says nothing by itself. The user
// names what each key means (the importer's --terms ZB30=30,ZN60=60 or a
// file of such lines), and a key so named is read before any other form,
// wherever terms are read: a blank due date of an invoice, a customer
// master's terms.

// ErrTermsKeys marks a terms-key mapping that cannot be read.
var ErrTermsKeys = errors.New("bad terms keys")

// termsKey is a key as compared: upper case, without the spaces around it.
func termsKey(k string) string { return strings.ToUpper(strings.TrimSpace(k)) }

// LookupTermsKey returns the terms key v is named as in m.
func LookupTermsKey(m map[string]Terms, v string) (Terms, bool) {
	if len(m) == 0 {
		return Terms{}, false
	}
	t, ok := m[termsKey(v)]
	return t, ok
}

// ParseTermsKeys adds the KEY=TERMS pairs of spec, comma-separated, to m:
// TERMS is a number of days after the issue date (30 is NET30) or terms
// as ParseTerms reads them (NET30, EOM30, 30 Tage netto). A key given
// twice with other terms is an error, as is terms that do not read.
func ParseTermsKeys(m map[string]Terms, spec string) error {
	for _, pair := range strings.Split(spec, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		if err := addTermsKey(m, pair, "="); err != nil {
			return err
		}
	}
	return nil
}

// ReadTermsKeys adds the keys of file path to m: one KEY=TERMS, KEY;TERMS,
// KEY,TERMS or KEY<tab>TERMS a line; blank lines and lines starting with #
// are left out, and so is a first line whose terms do not read (a
// header). An error names the file and the line.
func ReadTermsKeys(m map[string]Terms, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrTermsKeys, err)
	}
	for i, line := range strings.Split(strings.TrimPrefix(string(b), "\ufeff"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sep := "="
		if at := strings.IndexAny(line, "=;,\t"); at >= 0 {
			sep = line[at : at+1]
		}
		if err := addTermsKey(m, line, sep); err != nil {
			if i == 0 && !errors.Is(err, errTermsKeyTwice) {
				continue // a header: key;terms
			}
			return fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
	}
	return nil
}

var errTermsKeyTwice = errors.New("a key given twice")

// addTermsKey adds the pair KEY<sep>TERMS to m.
func addTermsKey(m map[string]Terms, pair, sep string) error {
	k, v, ok := strings.Cut(pair, sep)
	k, v = termsKey(k), strings.TrimSpace(v)
	if !ok || k == "" || v == "" {
		return fmt.Errorf("%w: want KEY=DAYS or KEY=TERMS (ZB30=30, ZN60=NET60, Z045=EOM45), got %q", ErrTermsKeys, strings.TrimSpace(pair))
	}
	t, err := ParseTerms(v)
	if err != nil {
		return fmt.Errorf("%w: terms key %s: %w", ErrTermsKeys, k, err)
	}
	if old, dup := m[k]; dup && old != t {
		return fmt.Errorf("%w: terms key %s is given as %s and as %s: %w", ErrTermsKeys, k, old, t, errTermsKeyTwice)
	}
	m[k] = t
	return nil
}
