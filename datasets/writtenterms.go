package datasets

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Payment terms as ERPs write them in words ("30 Tage netto", "14 dagen",
// "Net 30", "sofort", "90 días fecha factura", "60 giorni data fattura"), read by ParseTerms after the canonical forms. A
// form is read only when it says one thing: one number of days, words
// from the vocabulary below and nothing else. Two forms are refused
// rather than guessed at:
//   - a cash discount with no net terms beside it ("30 Tage Skonto"):
//     which days are the due date is not in the text. With net terms
//     beside it ("14 Tage 2% Skonto, 30 Tage netto", "2/10 net 30", "2%
//     10 Net 30") the net terms are read: they are when the invoice is
//     due, and paying within the discount days is paying early. The
//     discount itself is not in the terms dsopilot keeps: a discount
//     taken is read from the payments (the importer's discount column),
//     and CashDiscount tells the importer to say so;
//   - days and the end of the month without "after" ("30 jours fin de
//     mois", "Net 30 EOM"): read either as 30 days after the end of the
//     month or as the end of the month 30 days after the issue date.
//     "30 Tage nach Monatsende", "30 days after end of month" and EOM30
//     say the first.

// TermsForms lists the accepted forms, for error messages and help.
// It is short: an import repeats it in every reject of the form.
const TermsForms = "NET<days>, EOM<days>, or written (Net 30, 30 Tage netto, 30 jours net, 90 días fecha factura; " +
	"30 days after end of month = EOM30; due on receipt = NET0; the README's payment_terms lists them all)"

// termsWords classifies the words of written terms.
const (
	wordNet       = iota + 1 // net, netto: says nothing beyond the days
	wordDays                 // days, Tage, dagen, jours
	wordFiller               // after the invoice date, payable within ...
	wordAfter                // after, nach, na, après: before an end of month
	wordImmediate            // sofort, immediately, receipt
	wordDiscount             // Skonto, discount, escompte, korting
	wordNot                  // ohne, zonder, sans, without: "ohne Abzug"
)

var termsWords = map[string]int{
	"net": wordNet, "netto": wordNet, "nett": wordNet, "rein": wordNet, "abzug": wordNet, "aftrek": wordNet,

	"days": wordDays, "day": wordDays, "d": wordDays, "tage": wordDays, "tagen": wordDays, "tag": wordDays, "tg": wordDays,
	"dagen": wordDays, "dag": wordDays, "dgn": wordDays, "jours": wordDays, "jour": wordDays, "j": wordDays,
	// Spanish, Portuguese, Italian (a Spanish SAP export writes "90 días
	// fecha factura"; its whole master was refused on "días").
	"días": wordDays, "dias": wordDays, "día": wordDays, "dia": wordDays, "giorni": wordDays, "gg": wordDays,

	"within": wordFiller, "in": wordFiller, "innerhalb": wordFiller, "binnen": wordFiller, "sous": wordFiller, "dans": wordFiller,
	"from": wordFiller, "of": wordFiller, "the": wordFiller, "ab": wordFiller, "vanaf": wordFiller, "van": wordFiller,
	"de": wordFiller, "du": wordFiller, "la": wordFiller, "le": wordFiller, "des": wordFiller, "dem": wordFiller, "der": wordFiller,
	"date": wordFiller, "invoice": wordFiller, "rechnungsdatum": wordFiller, "rechnungseingang": wordFiller, "rechnung": wordFiller,
	"factuurdatum": wordFiller, "factuur": wordFiller, "facture": wordFiller, "datum": wordFiller,
	"payable": wordFiller, "zahlbar": wordFiller, "zahlungsziel": wordFiller, "betaalbaar": wordFiller, "betaling": wordFiller,
	"due": wordFiller, "fällig": wordFiller, "on": wordFiller, "upon": wordFiller, "bei": wordFiller, "bij": wordFiller,
	"per": wordFiller, "à": wordFiller, "a": wordFiller, "terms": wordFiller, "payment": wordFiller,
	"fecha": wordFiller, "factura": wordFiller, "emisión": wordFiller, "emision": wordFiller, "desde": wordFiller,
	"del": wordFiller, "el": wordFiller, "al": wordFiller, "pago": wordFiller, "plazo": wordFiller, "vencimiento": wordFiller,
	"data": wordFiller, "fattura": wordFiller, "dalla": wordFiller, "dal": wordFiller, "di": wordFiller, "da": wordFiller,
	"pagamento": wordFiller, "do": wordFiller, "fatura": wordFiller, "emissão": wordFiller, "emissao": wordFiller,
	"neto": wordNet, "netos": wordNet, "netti": wordNet, "líquido": wordNet, "liquido": wordNet,

	"after": wordAfter, "nach": wordAfter, "na": wordAfter, "après": wordAfter, "apres": wordAfter,
	"después": wordAfter, "despues": wordAfter, "dopo": wordAfter, "após": wordAfter, "apos": wordAfter,

	"sofort": wordImmediate, "immediately": wordImmediate, "immediate": wordImmediate, "receipt": wordImmediate,
	"erhalt": wordImmediate, "onmiddellijk": wordImmediate, "direct": wordImmediate, "ontvangst": wordImmediate,
	"réception": wordImmediate, "reception": wordImmediate, "comptant": wordImmediate,
	"contado": wordImmediate, "recepción": wordImmediate, "recepcion": wordImmediate, "vista": wordImmediate,
	"rimessa": wordImmediate, "diretta": wordImmediate, "ricevimento": wordImmediate,

	"skonto": wordDiscount, "discount": wordDiscount, "escompte": wordDiscount, "korting": wordDiscount, "rabatt": wordDiscount,
	"descuento": wordDiscount, "sconto": wordDiscount, "desconto": wordDiscount, "pronto": wordDiscount,

	"ohne": wordNot, "zonder": wordNot, "sans": wordNot, "without": wordNot, "no": wordNot, "sin": wordNot, "senza": wordNot, "sem": wordNot,
}

// endOfMonth are the phrases that say "the end of the month", as words.
var endOfMonth = [][]string{
	{"end", "of", "the", "month"}, {"end", "of", "month"}, {"month", "end"},
	{"ende", "des", "monats"}, {"monatsende"}, {"monatsletzten"},
	{"het", "einde", "van", "de", "maand"}, {"einde", "van", "de", "maand"}, {"einde", "maand"},
	{"fin", "de", "mois"}, {"fin", "du", "mois"},
	{"fin", "de", "mes"}, {"fin", "del", "mes"}, {"final", "de", "mes"}, {"fine", "mese"}, {"fim", "do", "mês"}, {"fim", "do", "mes"},
	{"eom"},
}

// discountNotRead is why terms with a cash discount are refused, with
// examples in more than one language (a US trial was told "30 Tage
// netto").
const discountNotRead = "a cash discount without net terms beside it (30 Tage Skonto) is not read: write the net terms with it (14 Tage 2% Skonto, 30 Tage netto; 2/10 net 30) or alone (Net 30, 30 Tage netto, 30 dagen)"

var (
	// discountRate is a discount and its days written as a fraction
	// ("2/10"), and discountPercent a percentage ("2%", "2,5 %").
	discountRate    = regexp.MustCompile(`\d+(?:[.,]\d+)?\s*/\s*\d+`)
	discountPercent = regexp.MustCompile(`\d+(?:[.,]\d+)?\s*%`)
	// netThen is a net word followed by its days ("Net 30"): where the
	// net terms begin in "2% 10 Net 30".
	netThen = regexp.MustCompile(`(?i)\b(?:net|netto|neto)\s+\d`)
)

// CashDiscount reports whether written terms s grant a cash discount
// ("14 Tage 2% Skonto, 30 Tage netto", "2/10 net 30"): a percentage, a
// rate over days, or a discount word not negated ("ohne Skonto").
func CashDiscount(s string) bool {
	s, _ = withoutCharges(s) // "Net 30, 1.5% interest": no discount
	if strings.Contains(s, "%") || discountRate.MatchString(s) {
		return true
	}
	words := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) })
	for i, w := range words {
		if termsWords[w] == wordDiscount && (i == 0 || termsWords[words[i-1]] != wordNot) {
			return true
		}
	}
	return false
}

// netOfDiscount reads the net terms of terms s with a cash discount: the
// one clause (split at commas, semicolons, a discount's "2/10", and
// before "net <days>") that grants no discount.
func netOfDiscount(s string, eomAfter bool, bad func(string) (Terms, error)) (Terms, error) {
	marked := discountRate.ReplaceAllString(s, "|")
	if loc := netThen.FindStringIndex(marked); loc != nil {
		marked = marked[:loc[0]] + "|" + marked[loc[0]:]
	}
	var found []Terms
	for _, c := range strings.FieldsFunc(marked, func(r rune) bool { return r == ',' || r == ';' || r == '|' }) {
		c = strings.TrimSpace(c)
		if c == "" || CashDiscount(c) || discountPercent.MatchString(c) {
			continue
		}
		// The net terms name their days: "2/10 EOM" read EOM0 (due at
		// the end of the issue month, before the discount days end).
		if !strings.ContainsAny(c, "0123456789") {
			return bad(discountNotRead)
		}
		t, err := parseWrittenTerms(c, eomAfter)
		if err != nil {
			return bad(discountNotRead)
		}
		found = append(found, t)
	}
	if len(found) != 1 {
		return bad(discountNotRead)
	}
	return found[0], nil
}

// parseWrittenTerms reads terms written in words (see above); s is as
// written, for the error.
func parseWrittenTerms(s string, eomAfter bool) (Terms, error) {
	written := s
	bad := func(why string) (Terms, error) {
		if why != "" {
			why += "; "
		}
		return Terms{}, fmt.Errorf("payment terms %q: %swant %s", written, why, TermsForms)
	}
	s, _ = withoutCharges(s) // latecharge.go; the errors quote the terms as written
	for i := 1; i < len(s); i++ {
		if (s[i-1] == '-' || s[i-1] == '+') && s[i] >= '0' && s[i] <= '9' {
			return bad("days are a number from 0 to 365, without a sign")
		}
	}
	if CashDiscount(s) {
		return netOfDiscount(s, eomAfter, bad)
	}
	// Words and numbers, split where letters meet digits (NET30, 30T).
	var toks []string
	var cur []rune
	kind := 0 // 1 letters, 2 digits
	flush := func() {
		if len(cur) > 0 {
			toks = append(toks, string(cur))
			cur = cur[:0]
		}
	}
	for _, r := range strings.ToLower(s) {
		k := 0
		switch {
		case unicode.IsLetter(r):
			k = 1
		case unicode.IsDigit(r):
			k = 2
		}
		if k != kind {
			flush()
		}
		kind = k
		if k != 0 {
			cur = append(cur, r)
		}
	}
	flush()
	// The end of the month, as one word "eom"; whether "after" came just
	// before it.
	readAfter := eomAfter // the caller reads the end of the month as "after" it
	eom, eomAfter, eomFirst := false, false, false
	for i := 0; i < len(toks); i++ {
		for _, ph := range endOfMonth {
			if i+len(ph) > len(toks) || !slices.Equal(toks[i:i+len(ph)], ph) {
				continue
			}
			if eom {
				return bad("the end of the month twice")
			}
			eom, eomFirst = true, i == 0 && ph[0] == "eom"
			j := i - 1
			for j >= 0 && slices.Contains([]string{"the", "het", "dem", "le", "la", "de", "del", "el", "do", "da", "di"}, toks[j]) {
				j-- // after the end of the month
			}
			eomAfter = j >= 0 && termsWords[toks[j]] == wordAfter
			toks = slices.Replace(toks, i, i+len(ph), "eom")
			break
		}
	}
	days, numbers, immediate := 0, 0, false
	for i, t := range toks {
		if t == "eom" {
			continue
		}
		if t[0] >= '0' && t[0] <= '9' {
			n, err := strconv.Atoi(t)
			if err != nil || n > 365 {
				return bad(fmt.Sprintf("%s days is not a number of days from 0 to 365", t))
			}
			days, numbers = n, numbers+1
			continue
		}
		switch termsWords[t] {
		case 0:
			return bad(fmt.Sprintf("the word %q is not read", t))
		case wordDiscount:
			if i == 0 || termsWords[toks[i-1]] != wordNot {
				return bad(discountNotRead)
			}
		case wordImmediate:
			immediate = true
		}
	}
	switch {
	case numbers > 1:
		return bad("more than one number of days")
	case immediate && (numbers > 0 || eom):
		return bad("both immediate and a number of days")
	case immediate:
		return Terms{}, nil
	case eom && !eomAfter && !(eomFirst && numbers <= 1) && !readAfter:
		return Terms{}, fmt.Errorf("payment terms %q: %w (after the end of the month, or the end of the month after the days): "+
			"write EOM<days> for days after the end of the issue month; want %s", written, ErrTermsTwoWays, TermsForms)
	case numbers == 0 && !eom:
		return bad("no number of days")
	}
	return Terms{Days: days, EOM: eom}, nil
}
