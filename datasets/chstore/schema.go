package chstore

import (
	"github.com/dsopilot/dsopilot/datasets"
)

// ledgerTables describes the entity tables in the order Put writes them:
// customers first, so that a Put cut short leaves no invoice whose customer
// is missing. The columns come from the datasets schemas and must match
// migrations/*.sql; the integration tests compare them with system.columns.
func ledgerTables() []ledgerTable {
	return []ledgerTable{
		newTable(datasets.CustomersSchema()),
		newTable(datasets.InvoicesSchema()),
		newTable(datasets.PaymentsSchema()),
		newTable(datasets.CreditNotesSchema()),
		newTable(datasets.DisputesSchema()),
		newTable(datasets.ActionsSchema()),
		newTable(datasets.PromisesSchema()),
		newTable(datasets.CreditDecisionsSchema()),
		newTable(datasets.FinancialsSchema()),
	}
}
