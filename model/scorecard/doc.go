// Package scorecard builds classic credit scorecards: every feature is cut
// into a handful of bins, each bin is replaced by its weight of evidence
// (WOE), a logistic regression is fitted on the WOE values, and the result is
// scaled to "points" a credit manager can read off a table.
//
// Orientation. y = 1 means "bad" (the invoice was paid late). WOE is
// ln(P(bin | bad) / P(bin | good)), so a positive WOE marks a riskier than
// average bin and Margin is the log-odds of y = 1, consistent with the rest
// of the project. Points run the other way, as credit managers expect:
// higher points mean a safer customer.
//
// Binning. Cut points come from a Binner; the default is ChiMerge (see
// there), a deterministic implementation of Kerber's algorithm.
//
// Missing values. NaN is missing. A column that had NaN in training gets its
// own "missing" bin with its own WOE. A column that had no NaN in training
// maps an unseen NaN to WOE 0, i.e. "no evidence either way", rather than to
// an arbitrary populated bin.
//
// A fitted Scorecard is a plain struct with exported fields, round-trips
// through encoding/json, and is safe for concurrent use. Margin and
// Contributions do not allocate; bins are found by binary search on the cut
// points.
package scorecard
