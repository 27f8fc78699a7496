package main

import (
	"context"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model"
	"github.com/dsopilot/dsopilot/recommender"
)

// scoreOpenBook scores the invoices open at the end of t in the ledger of
// store with b, riskiest first, one part of whole customers at a time
// (eachPart): it holds one prediction per open invoice and one part of the
// ledger, never the whole ledger. fx (nil: none) converts each part to the
// currency b learned in first.
func scoreOpenBook(ctx context.Context, e env, store string, parts int, b *model.Bundle, modelID string,
	fx *datasets.FX, t datasets.Date, nReasons int) ([]model.Prediction, error) {
	st, err := openStore(ctx, store, newLogger(e), false)
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	defer st.Close()
	var (
		sc    *model.Scorer
		preds = []model.Prediction{} // an empty book is [] in JSON
	)
	var conv *datasets.PartConverter
	if fx != nil {
		conv = datasets.NewPartConverter(fx)
	}
	var span ledgerSpan
	flagged := 0 // open invoices whose undated disputed flag the model cannot use
	assumed := 0 // open invoices whose undated disputed flag the model reads under its stated assumption
	err = eachPart(ctx, st, parts, func(l *datasets.Ledger, whole features.LedgerFacts) error {
		span.see(l)
		// The flag stands in for dispute records only when the whole ledger
		// has none (features.Index.DisputeFlags).
		if !whole.DisputesKnown {
			n := 0
			for i := range l.Invoices {
				if v := &l.Invoices[i]; v.Disputed && v.IssueDate <= t && (v.SettledDate.IsZero() || v.SettledDate > t) {
					n++
				}
			}
			if b.Options.Features.DisputeOpenedAfterDays == nil {
				flagged += n
			} else {
				assumed += n
			}
		}
		own := l
		if conv != nil {
			c, ok, err := conv.Convert(l)
			if err != nil {
				return fmt.Errorf("model %s learned in %s: %w", modelID, fx.To, err)
			}
			if !ok {
				return nil // missing rates, counted over every part below
			}
			l = c
		}
		ix := features.NewPartIndex(l, whole)
		tab := features.NewEngine(ix, b.Options.Features).OpenInvoices(t)
		if sc == nil {
			var err error
			if sc, err = model.NewScorer(b, tab.Specs); err != nil {
				return err
			}
		}
		out := make([]model.Prediction, len(tab.Rows))
		if err := sc.WithEvidence(ix).ScoreBatch(tab.Rows, nReasons, out); err != nil {
			return err
		}
		bal := ix.OpenBalances(t)
		var ownBal map[string]features.Balance
		if own != l {
			// Converted: the invoices' own amounts too, from the part as
			// recorded (a second index, built only for a converted book).
			ownBal = features.NewPartIndex(own, whole).OpenBalances(t)
		}
		for i := range out {
			b := bal[out[i].InvoiceID]
			out[i].Currency, out[i].Amount, out[i].Outstanding = b.Currency, features.KPIMoney(b.Amount), features.KPIMoney(b.Outstanding)
			if ob, ok := ownBal[out[i].InvoiceID]; ok && ob.Currency != b.Currency {
				out[i].InvoiceCurrency, out[i].InvoiceAmount, out[i].InvoiceOutstanding = ob.Currency, features.KPIMoney(ob.Amount), features.KPIMoney(ob.Outstanding)
			}
		}
		preds = append(preds, out...)
		return nil
	})
	if err == nil && conv != nil {
		if err = conv.Err(); err != nil {
			err = fmt.Errorf("model %s learned in %s: %w (give --fx with the missing rates)", modelID, fx.To, err)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	span.warnAsOf(e, "score", t)
	if flagged > 0 {
		// Training reads the flag only as of the ledger's latest date, after
		// every outcome it learns from: the model never saw a disputed
		// invoice, so its scores are the same with the flag or without.
		fmt.Fprintf(e.stderr, "dsopilot: warning: score: %s flagged disputed, but the ledger has no dispute records and the flag carries no date: model %s never saw it "+
			"before an outcome, so these scores ignore it; train with --dispute-opened-after-days N (disputes assumed open N days after issue) "+
			"for a model that learns what a dispute means\n", recommender.Plural(flagged, "open invoice"), modelID)
	}
	if n := b.Options.Features.DisputeOpenedAfterDays; n != nil && assumed > 0 {
		// The scores of these invoices rest on the user's word, not on a
		// date in the ledger: say so where the scores are read.
		fmt.Fprintf(e.stderr, "dsopilot: score: assumption: %s flagged disputed scored as disputed since %d days after issue (model %s trained with --dispute-opened-after-days %d; the ledger has no dispute records)\n",
			recommender.Plural(assumed, "open invoice"), *n, modelID, *n)
	}
	// Riskiest first: a worklist, not a ledger listing. The order is total
	// (ties fall to the invoice id), so it does not depend on the parts.
	model.SortWorklist(preds)
	return preds, nil
}
