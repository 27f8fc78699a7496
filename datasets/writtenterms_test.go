package datasets

import (
	"errors"
	"strings"
	"testing"
)

func TestParseTermsWritten(t *testing.T) {
	net := func(d int) Terms { return Terms{Days: d} }
	eom := func(d int) Terms { return Terms{Days: d, EOM: true} }
	cases := []struct {
		text string
		want Terms
	}{
		{"NET30", net(30)}, {"Net 30", net(30)}, {"EOM+30", eom(30)}, {"EOM 30", eom(30)},
		{"30 days net", net(30)}, {"30 Days", net(30)}, {"net 30 days", net(30)},
		{"30 Tage netto", net(30)}, {"netto 30 Tage", net(30)}, {"30 Tage netto ohne Abzug", net(30)},
		{"Zahlbar innerhalb 14 Tagen", net(14)}, {"30 Tage ab Rechnungsdatum", net(30)},
		{"14 dagen", net(14)}, {"30 dagen netto", net(30)}, {"binnen 30 dagen na factuurdatum", net(30)},
		{"30 jours net", net(30)}, {"45 jours", net(45)}, {"30j", net(30)},
		{"sofort", net(0)}, {"Sofort ohne Abzug", net(0)}, {"immediately", net(0)}, {"Due on receipt", net(0)},
		{"à réception", net(0)}, {"per direct", net(0)},
		{"30 Tage nach Monatsende", eom(30)}, {"30 days after end of month", eom(30)},
		{"30 days after the end of the month", eom(30)}, {"30 dagen na einde maand", eom(30)},
		{"30 jours après fin de mois", eom(30)},
		// Spanish, Italian, Portuguese, as a Spanish SAP master writes them.
		{"90 días fecha factura", net(90)}, {"30 días neto", net(30)}, {"60 dias", net(60)},
		{"60 giorni data fattura", net(60)}, {"30 gg", net(30)}, {"30 dias líquido", net(30)},
		{"al contado", net(0)}, {"rimessa diretta", net(0)},
		{"30 días después de fin de mes", eom(30)}, {"30 giorni dopo fine mese", eom(30)},
		{"30 dias após fim do mês", eom(30)},
		// A cash discount with its net terms: the net terms are the due
		// date (the German trial's master was loaded without terms).
		{"14 Tage 2% Skonto, 30 Tage netto", net(30)}, {"2/10 net 30", net(30)}, {"2% 10 Net 30", net(30)},
		{"10 Tage 3 % Skonto; 60 Tage ohne Abzug", net(60)}, {"30 Tage netto, 8 Tage 2% Skonto", net(30)},
		{"2,5/14 netto 45 Tage", net(45)}, {"30 Tage ohne Skonto", net(30)},
	}
	for _, c := range cases {
		got, err := ParseTerms(c.text)
		if err != nil || got != c.want {
			t.Errorf("ParseTerms(%q) = %v, %v; want %v", c.text, got, err, c.want)
		}
	}
	refused := []struct{ text, why string }{
		{"30 Tage Skonto", "cash discount"},
		{"2% 10 Tage", "write the net terms with it"}, // in English too: "(Net 30,"
		{"2/10 net 30, 60 Tage netto", "cash discount"},
		{"2/10 EOM", "cash discount"}, {"2/10, EOM", "cash discount"}, {"2/10 sofort", "cash discount"},
		{"30 jours fin de mois", "two ways"},
		{"60 días fin de mes", "two ways"},
		{"30 gg fine mese", "two ways"},
		{"30 días 2% descuento", "cash discount"},
		{"Net 30 EOM", "two ways"},
		{"30 oder 60 Tage", `"oder"`},
		{"Tage netto", "no number"},
		{"30 Tage, 60 Tage", "more than one"},
		{"sofort 30 Tage", "immediate"},
		{"400 Tage", "0 to 365"},
		{"netto -30", "without a sign"},
		{"NETX", `"netx"`},
	}
	for _, c := range refused {
		_, err := ParseTerms(c.text)
		if err == nil {
			t.Errorf("ParseTerms(%q) succeeded", c.text)
			continue
		}
		if msg := err.Error(); !strings.Contains(msg, c.why) || !strings.Contains(msg, "30 Tage netto") || !strings.Contains(msg, "NET<days>") {
			t.Errorf("ParseTerms(%q): %v; want it to say %s and list the accepted forms", c.text, err, c.why)
		}
	}
}

// A late-payment charge in the terms says nothing of the due date and is
// no cash discount: the terms are read without it.
func TestParseTermsLateCharge(t *testing.T) {
	net := func(d int) Terms { return Terms{Days: d} }
	cases := []struct {
		text     string
		want     Terms
		discount bool
	}{
		{"Net 30, 1.5% interest per month on overdue balances", net(30), false},
		{"Net 30 2% late fee", net(30), false},
		{"Net 30 late fee 2%", net(30), false},
		{"Net 30. Interest charged under the Late Payment Act at 8% above base rate", net(30), false},
		{"30 Tage netto, Verzugszinsen 9% über Basiszins", net(30), false},
		{"30 jours net; pénalités de retard 3 fois le taux légal", net(30), false},
		{"Net 30, +1.5% per month interest", net(30), false},
		{"2/10 net 30, late fee 1.5%", net(30), true},
		{"14 Tage 2% Skonto, 30 Tage netto, Verzugszinsen 5%", net(30), true},
	}
	for _, c := range cases {
		got, err := ParseTerms(c.text)
		if err != nil || got != c.want {
			t.Errorf("ParseTerms(%q) = %v, %v; want %v", c.text, got, err, c.want)
		}
		if d := CashDiscount(c.text); d != c.discount {
			t.Errorf("CashDiscount(%q) = %v, want %v", c.text, d, c.discount)
		}
		if !LateCharge(c.text) {
			t.Errorf("LateCharge(%q) = false, want true", c.text)
		}
	}
	for _, s := range []string{"Net 30", "14 Tage 2% Skonto, 30 Tage netto", "2/10 net 30"} {
		if LateCharge(s) {
			t.Errorf("LateCharge(%q) = true, want false", s)
		}
	}
	// The charge left out, what remains must still be terms; the error
	// quotes them as written.
	_, err := ParseTerms("interest 2% per month")
	if err == nil || !strings.Contains(err.Error(), `"interest 2% per month"`) || !strings.Contains(err.Error(), "no number of days") {
		t.Errorf("ParseTerms of a charge alone: %v; want no number of days, quoting the terms as written", err)
	}
}

// --eom-after states that days with an end of the month but no "after"
// are days after the end of the issue month; everything else reads as
// without it.
func TestParseTermsEOMAfter(t *testing.T) {
	cases := []struct {
		text string
		want Terms
	}{
		{"30 days end of month", Terms{Days: 30, EOM: true}}, {"Net 30 EOM", Terms{Days: 30, EOM: true}},
		{"60 jours fin de mois", Terms{Days: 60, EOM: true}}, {"30 days EOM", Terms{Days: 30, EOM: true}},
		{"Net 30", Terms{Days: 30}}, {"30 days after end of month", Terms{Days: 30, EOM: true}},
		{"2/10 net 30 EOM", Terms{Days: 30, EOM: true}},
	}
	for _, c := range cases {
		got, err := ParseTermsEOMAfter(c.text)
		if err != nil || got != c.want {
			t.Errorf("ParseTermsEOMAfter(%q) = %v, %v; want %v", c.text, got, err, c.want)
		}
	}
	if _, err := ParseTerms("30 days end of month"); !errors.Is(err, ErrTermsTwoWays) {
		t.Errorf("ParseTerms without the assumption: %v; want ErrTermsTwoWays", err)
	}
	if _, err := ParseTermsEOMAfter("30 oder 60 Tage"); err == nil {
		t.Error("ParseTermsEOMAfter read terms it should refuse")
	}
}
