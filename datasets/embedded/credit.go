package embedded

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/dsopilot/dsopilot/datasets"
)

// The credit workflow lives in two buckets, created when the store is
// opened for writing (a store written before them reads as having none):
//
//   - credit_events: each event as JSON, keyed by its id (proposal/1,
//     proposal/2), so a proposal's events are adjacent.
//   - credit_claims: customer id, a NUL and the claim number (4 bytes, big
//     endian) → the proposal it decided: a customer's terminal events in
//     order, so "nothing decided since" is one cursor step.
//
// Every change is one bbolt transaction, and bbolt runs one writer at a
// time: a proposal is decided once, and a decision's event, credit decision
// and customer limit land together or not at all.
const (
	creditEventsBucket = "credit_events"
	creditClaimsBucket = "credit_claims"
)

// creditBuckets are created by init with the ledger's buckets.
var creditBuckets = [...]string{creditEventsBucket, creditClaimsBucket}

var _ datasets.CreditStore = (*Store)(nil)

// Events are stored as their JSON (the tags of datasets.CreditEvent).
func encodeCreditEvent(e *datasets.CreditEvent) ([]byte, error) { return json.Marshal(e) }

func decodeCreditEvent(b []byte) (datasets.CreditEvent, error) {
	var e datasets.CreditEvent
	err := json.Unmarshal(b, &e)
	return e, err
}

// claimKey is the key of a customer's n-th claim.
func claimKey(customerID string, n int) []byte {
	k := make([]byte, 0, len(customerID)+5)
	k = append(k, customerID...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(n))
}

// CreditEvents returns the stored events, of one customer when customerID
// is not empty, in id order (a proposal's event before its decision).
func (s *Store) CreditEvents(ctx context.Context, customerID string) ([]datasets.CreditEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []datasets.CreditEvent{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(creditEventsBucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			e, err := decodeCreditEvent(v)
			if err != nil {
				return fmt.Errorf("decode credit event %q: %w", k, err)
			}
			if customerID == "" || e.CustomerID == customerID {
				out = append(out, e)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("embedded credit events: %w", err)
	}
	return out, nil
}

// AddCreditProposal stores a new proposal; an id already stored is a
// conflict.
func (s *Store) AddCreditProposal(ctx context.Context, e datasets.CreditEvent) error {
	if err := s.creditWritable(ctx, &e, datasets.CreditProposed); err != nil {
		return err
	}
	return s.update("add credit proposal", func(tx *bolt.Tx) error {
		events, _, err := creditBucketsOf(tx)
		if err != nil {
			return err
		}
		key := []byte(e.ID())
		if events.Get(key) != nil {
			return fmt.Errorf("%w: proposal %s is already stored", datasets.ErrConflict, e.ProposalID)
		}
		v, err := encodeCreditEvent(&e)
		if err != nil {
			return err
		}
		return events.Put(key, v)
	})
}

// DecideCredit stores a proposal's terminal event and, with a decision, the
// decision and the customer's new limit, in one transaction, when
// the proposal is still open and the customer has exactly e.Claim−1
// decisions.
func (s *Store) DecideCredit(ctx context.Context, e datasets.CreditEvent, decision *datasets.CreditDecision) error {
	if err := s.creditWritable(ctx, &e, ""); err != nil {
		return err
	}
	return s.update("decide credit proposal", func(tx *bolt.Tx) error {
		events, claims, err := creditBucketsOf(tx)
		if err != nil {
			return err
		}
		first := events.Get([]byte(e.ProposalID + "/1"))
		if first == nil {
			return fmt.Errorf("%w: credit proposal %s", datasets.ErrNotFound, e.ProposalID)
		}
		if p, err := decodeCreditEvent(first); err != nil {
			return fmt.Errorf("decode credit proposal %s: %w", e.ProposalID, err)
		} else if p.CustomerID != e.CustomerID {
			return fmt.Errorf("%w: proposal %s is for customer %s, not %s", datasets.ErrInvalid, e.ProposalID, p.CustomerID, e.CustomerID)
		}
		if events.Get([]byte(e.ID())) != nil {
			return fmt.Errorf("%w: proposal %s is already decided", datasets.ErrConflict, e.ProposalID)
		}
		if claims.Get(claimKey(e.CustomerID, e.Claim)) != nil ||
			(e.Claim > 1 && claims.Get(claimKey(e.CustomerID, e.Claim-1)) == nil) {
			return fmt.Errorf("%w: customer %s: another decision was recorded since (claim %d)", datasets.ErrConflict, e.CustomerID, e.Claim)
		}
		v, err := encodeCreditEvent(&e)
		if err != nil {
			return err
		}
		if err := claims.Put(claimKey(e.CustomerID, e.Claim), []byte(e.ProposalID)); err != nil {
			return err
		}
		if err := events.Put([]byte(e.ID()), v); err != nil {
			return err
		}
		if decision == nil {
			return nil
		}
		c, found, err := s.customerIn(tx, decision.CustomerID)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: customer %s", datasets.ErrNotFound, decision.CustomerID)
		}
		c.CreditLimit, c.CreditLimitBlank = decision.NewLimit, false
		// The ledger's own buckets, through the same code as Put.
		batch := &datasets.Ledger{Customers: []datasets.Customer{c}, CreditDecisions: []datasets.CreditDecision{*decision}}
		var a arena
		for _, t := range s.tables {
			if err := t.put(tx, batch, &a); err != nil {
				return err
			}
		}
		return nil
	})
}

// Customer returns one stored customer.
func (s *Store) Customer(ctx context.Context, id string) (datasets.Customer, error) {
	if err := ctx.Err(); err != nil {
		return datasets.Customer{}, err
	}
	var (
		c     datasets.Customer
		found bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		c, found, err = s.customerIn(tx, id)
		return err
	})
	if err != nil {
		return datasets.Customer{}, fmt.Errorf("embedded customer %s: %w", id, err)
	}
	if !found {
		return datasets.Customer{}, fmt.Errorf("customer %q: %w", id, datasets.ErrNotFound)
	}
	return c, nil
}

// customerIn reads customer id in tx.
func (s *Store) customerIn(tx *bolt.Tx, id string) (datasets.Customer, bool, error) {
	for _, t := range s.tables {
		ct, ok := t.(*table[datasets.Customer])
		if !ok {
			continue
		}
		b := tx.Bucket([]byte(ct.entity()))
		if b == nil {
			return datasets.Customer{}, false, nil
		}
		v := b.Get([]byte(id))
		if v == nil {
			return datasets.Customer{}, false, nil
		}
		c, err := ct.codec.decode(v)
		if err != nil {
			return c, false, fmt.Errorf("decode customer %q: %w", id, err)
		}
		return c, true, nil
	}
	return datasets.Customer{}, false, errors.New("no customers table")
}

// creditWritable checks the store and the event before a write; kind, when
// not empty, is the kind e must have, else e must be terminal.
func (s *Store) creditWritable(ctx context.Context, e *datasets.CreditEvent, kind string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.readOnly {
		return errors.New("embedded credit: store opened read-only")
	}
	if kind != "" && e.Kind != kind || kind == "" && !e.Terminal() {
		return fmt.Errorf("%w: credit event %s of kind %q here", datasets.ErrInvalid, e.ID(), e.Kind)
	}
	return e.Check()
}

func (s *Store) update(op string, fn func(tx *bolt.Tx) error) error {
	if err := s.db.Update(fn); err != nil {
		return fmt.Errorf("embedded %s: %w", op, err)
	}
	return nil
}

// creditBucketsOf returns the credit buckets of a write transaction.
func creditBucketsOf(tx *bolt.Tx) (events, claims *bolt.Bucket, err error) {
	events, claims = tx.Bucket([]byte(creditEventsBucket)), tx.Bucket([]byte(creditClaimsBucket))
	if events == nil || claims == nil {
		return nil, nil, fmt.Errorf("store has no %s bucket (open it for writing first)", strings.Join(creditBuckets[:], "/"))
	}
	return events, claims, nil
}
