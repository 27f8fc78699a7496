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
// # Closed loop
//
// NewEnv runs the same customers (the same profiles, so the same behaviour
// types, latent parameters, invoice counts per month and default times as
// Generate for the same Seed) one day at a time. Each morning a Policy sees
// the ledger as known at the end of the day before and chooses contacts:
// one decision per customer at most, covering some of its open invoices,
// within the daily capacity of each channel (EnvConfig.Capacity, the same
// for every policy). Then the day's orders, payments, disputes, promises,
// defaults and write-offs happen and are recorded.
//
// The generative process is Generate's with these differences, all forced
// by letting a policy choose what Generate fixes:
//
//   - Dunning is whatever the policy does, at any day; Generate applies the
//     standard scenario to every invoice by itself. Each contact about an
//     undisputed, unpaid invoice of a customer not in default is an
//     independent trial with the behaviour's true effect (ActionEffects:
//     the response probability and the lag window), as the truth file says
//     ("independently of everything else"). A repeated contact of the same
//     type is a new trial: nothing in the truth says a second reminder works
//     less than the first, so the loop does not invent fatigue. A contact
//     about several invoices is one trial per invoice. Custom action types
//     and credit holds have no effect; a disputed invoice ignores dunning
//     from its issue on, as in Generate.
//   - The settlement is the earliest of the natural payment day and the
//     payment days that responses trigger, unless the customer defaults
//     first; a call's promise is recorded when made, kept when the invoice
//     is paid by the promised day and broken the day after otherwise. An
//     action's outcome becomes "paid" when its invoice is paid within a week.
//   - A first instalment falls some days before the natural payment day; it
//     is skipped when a response brings the settlement before it.
//   - Invoice ids are per customer (INV000123-0007), so the n-th order of a
//     customer has the same id under every policy.
//   - Orders are placed on the days Generate would issue invoices (drawn
//     from their own stream) and go through a CreditPolicy: the simulator's
//     own CreditTeam (onboarding, half-yearly reviews, the distress cut, zero
//     at default) blocks nothing unless BlockOverLimit is set; a blocked
//     order is a lost sale. Bad debt is the exposure at default.
//
// Common random numbers: orders, each invoice's natural course (amount,
// dispute, natural payment time, instalment) and each response (per
// invoice, action type and attempt number) come from their own streams, so
// every policy meets the same customers and orders, the same natural
// payment times, and the same reaction to the same contact. Env.Replay uses
// the same draws to say when an invoice would have been paid under other
// contacts, the ground truth for off-policy evaluation.
//
// Under a policy that takes the standard scenario invoice by invoice, the
// closed loop's late share per behaviour matches Generate's within sampling
// error (a test checks it), so the two processes agree where they overlap.
// Generate and WriteDir are unchanged: their files are byte-identical to
// those of earlier versions for a given Config.
//
// # Determinism
//
// Each customer draws from its own random streams derived from (Seed, customer
// index), so customers are simulated in parallel and the files are
// byte-identical for a given Config whatever the number of workers. Records
// are written in customer order and, within a customer, in date order.
package synth
