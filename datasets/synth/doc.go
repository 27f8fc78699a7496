// Package synth simulates a receivables ledger with known ground truth.
//
// WriteDir writes a ledger directory in the canonical layout of package
// datasets (customers.csv, invoices.csv, payments.csv, credit_notes.csv,
// disputes.csv, actions.csv, promises.csv, credit_decisions.csv) plus three
// truth files: truth.csv (per invoice, the exact probability of being paid
// after the due date), truth_customers.csv (each customer's behaviour type and
// latent parameters) and truth_action_effects.csv (the true response of each
// behaviour to each dunning action), and fx_rates.csv, the exchange rates to
// EUR its amounts were drawn with. Generate streams the same records to a
// Sink, one customer at a time, for tests and benchmarks that need no disk.
//
// # Generative process
//
// Every customer gets a behaviour type (prompt 40%, chronic_late 20%,
// forgetful 20%, cash_strapped 10%, disputer 10%), a segment, a country (with
// its currency and payment culture), terms, a sales channel and persistent
// latent parameters drawn once, so that history predicts the future.
//
// Invoices arrive on weekdays, Poisson per month with a segment-dependent rate
// (about 5.1 per customer and month over a year: InvoicesPerCustomerMonth;
// CustomersFor sizes a run for a target invoice count), with lognormal amounts
// around a per-customer median. Each invoice's natural payment time, in days
// relative to its due date, is a two-component normal mixture: a regular
// component and a "slip" component (the forgetful customer's forgotten
// invoice, the prompt customer's rare accident). Both means move with the
// customer's base propensity plus country, segment and channel shifts,
// seasonality of the due date (August, December, quarter ends), the invoice's
// size relative to the customer's usual amount and, for cash-strapped
// customers, a drift that grows with time since their distress began.
//
// The standard dunning scenario is applied to every undisputed invoice that is
// still unpaid and whose customer is still alive: a courtesy reminder 5 days
// before due (only for invoices of at least 10,000 EUR equivalent), a
// reminder at due+7, a call at due+21 (which may produce a promise to pay), a
// final notice at due+45 and a collection agency at due+90. Each action, per
// behaviour, triggers payment after a short lag with a fixed probability
// (ActionEffects); the settlement is the earliest of the natural payment and
// the triggered ones.
//
// A disputed invoice (the dispute opens 3..20 days after issue) gets no
// dunning; it is settled a lognormal time after the dispute opens, by a
// payment of what is not credited and, when the dispute is credited, a credit
// note for the disputed amount.
//
// Cash-strapped customers default at a constant hazard once their distress
// begins; they are then put on credit hold, their limit is cut to zero, they
// get no more invoices, and all their unpaid invoices are written off 120..180
// days later; the write-off date is the invoice's settled_date. Cash-strapped
// customers never dispute (a dispute racing the default hazard has no closed
// form). A few invoices are settled in two payments, and 2% of payments arrive
// unallocated (on account, empty invoice_id) though the invoice they pay is
// settled as usual: the cash was matched later.
//
// # Ground truth
//
// p_late in truth.csv is exact under this process, conditional on everything
// the simulator knows at the issue date (the customer's latent parameters, the
// amount, the due date, and that the customer has not defaulted yet): a
// closed form built from normal and lognormal CDFs. Dunning after the due date
// changes how late an invoice is, never whether it is late, so only the
// courtesy reminder and the default hazard enter the formula, both exactly.
// A written-off invoice is late: it was not paid by its due date.
//
// Nothing dated after the end of the period is written: an invoice whose
// settlement would fall later stays open, and actions, promises, disputes,
// credit notes and decisions after the end are dropped.
//
// # Determinism
//
// Each customer draws from its own random streams derived from (Seed, customer
// index), so customers are simulated in parallel and the files are
// byte-identical for a given Config whatever the number of workers. Records
// are written in customer order and, within a customer, in date order.
package synth
