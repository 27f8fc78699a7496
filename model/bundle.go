package model

import (
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
	"github.com/dsopilot/dsopilot/features"
	"github.com/dsopilot/dsopilot/model/linear"
	"github.com/dsopilot/dsopilot/model/peers"
)

// The trained model set and what it records of its training: the types a
// registry stores and a scorer reads, apart from how they are learnt
// (train.go).

// Candidate is one family's best setting, scored on the out-of-fold
// predictions of the time-series folds inside the training window (before
// calibration): what chose the champion, not the reported validation.
type Candidate struct {
	Family  string  `json:"family"`
	Setting string  `json:"setting,omitempty"`
	Folds   int     `json:"folds,omitempty"`
	N       int     `json:"n,omitempty"`
	AUC     float64 `json:"auc"`
	LogLoss float64 `json:"log_loss"`
	Brier   float64 `json:"brier"`
}

// Bundle is a trained model set: late, very late and 90+ classifiers, the
// pay-date hazard, the encoder and the evidence of how they did.
type Bundle struct {
	Encoder    *Encoder       `json:"encoder"`
	Late       *Classifier    `json:"late"`
	VeryLate   *Classifier    `json:"very_late"`
	Default90  *Classifier    `json:"default_90"`
	PayDate    *linear.Hazard `json:"pay_date"`
	PayDateEnc *Encoder       `json:"pay_date_encoder"`
	// OverdueSurvival conditions the pay dates of overdue invoices on their
	// having stayed open so long (paydate_overdue.go); nil in bundles
	// trained before it existed, which score as they did.
	OverdueSurvival *OverdueSurvival `json:"overdue_survival,omitempty"`
	// OverdueScaled is the same survival in units of the customer's
	// lateness (paydate_scaled.go); nil in bundles trained before it
	// existed, which condition on OverdueSurvival alone.
	OverdueScaled *OverdueScaled     `json:"overdue_scaled,omitempty"`
	SegmentLate   map[string]float64 `json:"segment_late_rate"`
	// PortfolioLate is the share of the training invoices paid late, the
	// prior a customer without history or segment is scored against; nil in
	// bundles trained before it was kept.
	PortfolioLate *float64    `json:"portfolio_late_rate,omitempty"`
	Champion      string      `json:"champion"`
	Candidates    []Candidate `json:"candidates"`
	Validation    Metrics     `json:"validation"`
	// LateThreshold is the p_late at or above which an invoice is called
	// late (see threshold.go; 0 in bundles from before it was chosen, which
	// call at 0.5), chosen on ThresholdExamples out-of-sample predictions.
	LateThreshold     float64       `json:"late_threshold,omitempty"`
	ThresholdExamples int           `json:"late_threshold_examples,omitempty"`
	Options           BundleOptions `json:"options"`
	TrainWindow       [2]string     `json:"train_window"`
	TrainExample      int           `json:"train_examples"`
	ValidExample      int           `json:"valid_examples"`
	// Importance is the late-payment model's global explanation: each
	// feature's mean absolute contribution to the score on the held-out
	// invoices, as a share of the total, largest first.
	Importance []FeatureWeight `json:"importance"`
	// Sample is the share of the window's invoices learned from (1 = all;
	// 0 in bundles trained before sampling existed, which used all).
	Sample float64 `json:"invoice_sample"`
	// Assumptions name what the training took on trust about data that
	// carries no date (see Assumptions); the CLI prints them.
	Assumptions []string `json:"assumptions,omitempty"`
	// Folds is the number of time-series folds the champion was chosen and
	// calibrated on (see planWindow).
	Folds int `json:"folds,omitempty"`
	// Prior is the derived cold-start prior the models read after the
	// catalogue's features (see peerprior.go; "" or PriorOff: none); Peers
	// are the established customers as of AsOf it is computed from when
	// scoring (nil when there were too few).
	Prior ColdPrior  `json:"cold_prior,omitempty"`
	Peers *peers.Set `json:"peers,omitempty"`
	// Skipped says which outcome models were not trained and why (an
	// outcome too rare in the window); a skipped very-late model predicts
	// its training rate, a skipped 90+ model nothing.
	Skipped []string `json:"skipped,omitempty"`
	// Default90OfVeryLate, when set, is the share of the very-late
	// probability that is 90+: the 90+ model did not hold on customers it
	// had not seen and is then a prior (default90.go). Nil in bundles
	// trained before it existed and when the 90+ model held.
	Default90OfVeryLate *float64 `json:"default_90_of_very_late,omitempty"`
	// Default90OfVeryLatePast90, when set beside Default90OfVeryLate, is
	// the share for the invoices of customers that had already let an
	// invoice go 90+ by the date scored (feature invoices_past_90 > 0);
	// Default90OfVeryLate is then the share for the others' invoices
	// (ofVeryLateByHistory in default90.go).
	Default90OfVeryLatePast90 *float64 `json:"default_90_of_very_late_past_90,omitempty"`
	// Default90Customer, when set beside Default90OfVeryLate, is the
	// per-customer share tried (default90_customer.go); when Kept it
	// replaces the ledger's (and the split by 90+ history). Nil in bundles
	// trained before it existed, which score with the ledger share.
	Default90Customer *Customer90 `json:"default_90_customer,omitempty"`
	// Default90Stopped, when set, is the 90+ probability learned for the
	// invoices of customers that have stopped paying (default90_stopped.go);
	// nil in bundles trained before it existed and when the training
	// window's history holds no such customer.
	Default90Stopped *StoppedPaying `json:"default_90_stopped,omitempty"`
}

// Assumptions names, for a credit manager, how the features read statuses
// that carry no date on this ledger: the invoices' disputed flag, when it
// stands in for dispute records, is known only as of the ledger's own date
// unless the user stated when disputes open.
func Assumptions(ix *features.Index, o features.Options) []string {
	used, from := ix.DisputeFlags()
	if !used {
		return nil
	}
	if n := o.DisputeOpenedAfterDays; n != nil {
		return []string{fmt.Sprintf("no dispute records: an invoice's disputed flag is assumed known %d days after its issue date (--dispute-opened-after-days %d)", *n, *n)}
	}
	return []string{fmt.Sprintf("no dispute records: the invoices' disputed flag carries no date, so it is read only as of %s, the ledger's latest date (give --dispute-opened-after-days N to assume disputes open N days after issue)", from)}
}

// BundleOptions are the options a bundle needs again at scoring time.
type BundleOptions struct {
	AsOf         string           `json:"as_of"`
	GraceDays    int              `json:"grace_days"`
	VeryLateDays int              `json:"very_late_days"`
	Features     features.Options `json:"features"`
	Seed         uint64           `json:"seed"`
	// FX is the currency conversion the training ledger went through, which
	// scoring applies to the open book; nil when amounts were used as they
	// were.
	FX *datasets.FX `json:"fx,omitempty"`
}
