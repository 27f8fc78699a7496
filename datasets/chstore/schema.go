package chstore

import (
	"errors"
	"fmt"

	"github.com/dsopilot/dsopilot/datasets"
)

// ledgerTables describes the entity tables in the order Put writes them:
// customers first, so that a Put cut short leaves no invoice whose customer
// is missing. The columns come from the datasets schemas and must match
// migrations/*.sql; the integration tests compare them with system.columns.
//
// shardBy gives each table's shard key column as the migrations declare it
// (see shardKeys); a table without one is an error.
func ledgerTables(shardBy map[string]string) ([]ledgerTable, error) {
	var out []ledgerTable
	var errs []error
	add := func(t ledgerTable, err error) {
		out = append(out, t)
		errs = append(errs, err)
	}
	add(newTable(datasets.CustomersSchema(), shardBy))
	add(newTable(datasets.InvoicesSchema(), shardBy))
	add(newTable(datasets.PaymentsSchema(), shardBy))
	add(newTable(datasets.CreditNotesSchema(), shardBy))
	add(newTable(datasets.DisputesSchema(), shardBy))
	add(newTable(datasets.ActionsSchema(), shardBy))
	add(newTable(datasets.PromisesSchema(), shardBy))
	add(newTable(datasets.CreditDecisionsSchema(), shardBy))
	add(newTable(datasets.FinancialsSchema(), shardBy))
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("chstore: %w", err)
	}
	return out, nil
}
