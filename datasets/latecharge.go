package datasets

import (
	"regexp"
	"strings"
	"unicode"
)

// Late-payment charges in written terms. Terms often say what paying late
// costs as well as when to pay: "Net 30, 1.5% interest per month on
// overdue balances", "30 Tage netto, Verzugszinsen 9% über Basiszins",
// "Net 30. Interest charged under the Late Payment Act", "Net 30 2% late
// fee". Such a clause says nothing of the due date, and its percentage is
// no cash discount: read as one, "Net 30 2% late fee" was refused as a
// discount without net terms, and "Net 30, 1.5% interest" warned of a
// discount that the customer never gets. The charge is left out of the
// reading: from its first percentage or charge word to the end of its
// clause (clauses end at a comma, a semicolon or a full stop before a
// space). dsopilot does not model the charge: interest invoiced for late
// payment arrives as invoices of its own.

// chargeWords are the words of a late-payment charge, lower case.
var chargeWords = map[string]bool{
	"interest": true, "late": true, "fee": true, "fees": true, "charge": true, "charges": true, "charged": true,
	"surcharge": true, "penalty": true, "penalties": true, "overdue": true, "arrears": true,
	"zinsen": true, "zins": true, "verzugszinsen": true, "verzugszins": true, "verzug": true, "säumniszuschlag": true,
	"mahngebühr": true, "mahngebühren": true,
	"intérêt": true, "intérêts": true, "interet": true, "interets": true, "pénalité": true, "pénalités": true,
	"penalite": true, "penalites": true, "retard": true, "indemnité": true, "indemnite": true,
	"interés": true, "intereses": true, "interes": true, "recargo": true, "demora": true, "mora": true,
	"interessi": true, "juros": true, "rente": true, "boete": true, "incassokosten": true,
}

// chargeClauseEnd ends a clause of written terms.
var chargeClauseEnd = regexp.MustCompile(`[,;]|\.\s`)

// withoutCharges returns written terms s with its late-payment charges
// left out (see above), and whether it had any.
func withoutCharges(s string) (string, bool) {
	var b strings.Builder
	found := false
	rest := s
	for rest != "" {
		clause, sep := rest, ""
		if loc := chargeClauseEnd.FindStringIndex(rest); loc != nil {
			clause, sep = rest[:loc[0]], rest[loc[0]:loc[1]]
			rest = rest[loc[1]:]
		} else {
			rest = ""
		}
		if at := chargeStart(clause); at >= 0 {
			found = true
			clause = clause[:at]
		}
		b.WriteString(clause)
		b.WriteString(sep)
	}
	if !found {
		return s, false
	}
	return strings.TrimRight(b.String(), " \t,;.+&-"), true
}

// chargeStart is where clause's charge begins (its first percentage or
// charge word, whichever comes first), or -1 when it holds no charge word.
func chargeStart(clause string) int {
	word := -1
	for i := 0; i < len(clause); {
		r := rune(clause[i])
		if !unicode.IsLetter(r) && r < 0x80 {
			i++
			continue
		}
		j := strings.IndexFunc(clause[i:], func(r rune) bool { return !unicode.IsLetter(r) })
		if j < 0 {
			j = len(clause) - i
		}
		if chargeWords[strings.ToLower(clause[i:i+j])] {
			word = i
			break
		}
		i += j
	}
	if word < 0 {
		return -1
	}
	if loc := discountPercent.FindStringIndex(clause); loc != nil && loc[0] < word {
		return loc[0]
	}
	return word
}

// LateCharge reports whether written terms s state a late-payment charge
// (interest or a fee on overdue amounts), which ParseTerms leaves out.
func LateCharge(s string) bool {
	_, found := withoutCharges(s)
	return found
}
