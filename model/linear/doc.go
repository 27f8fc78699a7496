// Package linear provides L2-regularised generalised linear models used by
// dsopilot: a binary logistic regression (probability that an invoice is
// paid late) and a discrete-time proportional-odds hazard model with
// right-censoring (distribution of the week in which an invoice is paid).
//
// Both models standardise features internally, fit with gonum's L-BFGS on an
// analytic gradient, and report coefficients on the original feature scale.
// Loss and gradient are accumulated over fixed-size blocks of rows evaluated
// in parallel and reduced in block order, so fitted models are bit-for-bit
// identical for any GOMAXPROCS. Fitted models are plain structs with
// exported fields and round-trip through encoding/json.
//
// Preconditions common to both trainers: every row of X has the same length
// (at least one column is not required: zero columns fits intercepts only),
// and X contains no NaN or ±Inf values; violations are reported as errors
// naming the offending row and column.
package linear
