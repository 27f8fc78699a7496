package datasets

import (
	"fmt"
	"time"
)

// A record says something happened on a day (an invoice issued, a
// payment received, a dispute opened): such a day cannot be in the
// future. One dated so would pass for the ledger's latest (LastDay) and
// hide that the ledger is stale. The API's record endpoints and the
// importer (the CLI's import and the API's ingest) refuse it alike.

// LatestRecordDay is the latest day a record can be of at now: today in
// the first time zone to reach it (UTC+14), so that no record of a day
// that has begun somewhere is refused.
func LatestRecordDay(now time.Time) Date {
	return DateOf(now.UTC().Add(14 * time.Hour))
}

// CheckHappened returns an error when d, the day something happened, is
// after latest, the latest day a record can be of.
func CheckHappened(d, latest Date) error {
	if d > latest {
		return fmt.Errorf("%s is in the future: a record is of a day that has begun (%s at the latest)", d, latest)
	}
	return nil
}

// HappenedColumns are the columns of entity e whose dates say something
// happened: the dates LastDay reads, and an action's. Due and promised
// dates, decisions and reports are not among them.
func HappenedColumns(e Entity) []string {
	switch e {
	case EntityInvoices:
		return []string{"issue_date", "settled_date"}
	case EntityPayments:
		return []string{"payment_date"}
	case EntityCreditNotes:
		return []string{"date"}
	case EntityDisputes:
		return []string{"opened_date", "resolved_date"}
	case EntityActions:
		return []string{"action_date"}
	case EntityPromises:
		return []string{"made_date"}
	}
	return nil
}
