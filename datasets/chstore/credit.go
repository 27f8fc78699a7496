package chstore

import (
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/dsopilot/dsopilot/datasets"
)

// # The credit workflow on ClickHouse
//
// Events are appended to credit_events (migration 0004_credit_proposals). ClickHouse 18.16
// has no transactions and, without ZooKeeper, no conditional insert, so the
// one decision a proposal may have is settled by a DDL statement instead:
// the n-th decision of a customer creates the view
// credit_claim_<h>_<n> (h: the first 16 bytes of the SHA-256 of the
// customer id, in hex) whose one row is the decision as JSON. CREATE VIEW
// without IF NOT EXISTS fails with "already exists" (code 57) when the view
// is there; the server creates a name once, serialising concurrent
// creations of the same name under its DDL guard and writing the metadata
// file whole. So of the callers that read a customer's n−1 claims and found
// the proposal open, exactly one creates claim n: the others get a conflict
// and change nothing. The claims are the truth about decisions; the rows in
// credit_events, credit_decisions and customers are written right after,
// and written again from the claim (same ids, so idempotently)
// by the next call that finds them missing: a crash between the claim and
// those rows delays them, it never loses or doubles a decision.
//
// The guarantee holds on one server, and so on a cluster whose shards are
// single servers (this store's cluster mode): a customer's claims and
// events live in the local database of the customer's shard (sharded by
// customer_id, as every table), so one server settles each race. Shards
// with replicas would need the claim made ON CLUSTER through the
// distributed DDL queue (ZooKeeper). A view per decision is cheap, but a
// database with hundreds of thousands of decisions would start slower
// (every view is loaded at startup).

var (
	//go:embed queries/credit_events.sql
	creditEventsSQL string
	//go:embed queries/credit_event_insert.sql
	creditEventInsertSQL string
	//go:embed queries/credit_proposal_exists.sql
	creditProposalExistsSQL string
	//go:embed queries/credit_claims.sql
	creditClaimsSQL string
	//go:embed queries/credit_claim_create.sql
	creditClaimCreateSQL string
	//go:embed queries/credit_claim_read.sql
	creditClaimReadSQL string
)

// codeTableExists is ClickHouse's "table already exists".
const codeTableExists = 57

var _ datasets.CreditStore = (*Store)(nil)

// claimPrefix is the name prefix of a customer's claim views.
func claimPrefix(customerID string) string {
	h := sha256.Sum256([]byte(customerID))
	return "credit_claim_" + hex.EncodeToString(h[:16]) + "_"
}

// claimPayload is what a claim view holds: the terminal event and, for an
// approval, the decision it writes.
type claimPayload struct {
	Event    datasets.CreditEvent     `json:"event"`
	Decision *datasets.CreditDecision `json:"decision,omitempty"`
}

// CreditEvents returns the stored events, one customer's when customerID is
// not empty. Decisions whose rows an interrupted call left unwritten are
// written first, from their claims.
func (s *Store) CreditEvents(ctx context.Context, customerID string) ([]datasets.CreditEvent, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return nil, err
	}
	prefix := "credit_claim_"
	if customerID != "" {
		prefix = claimPrefix(customerID)
	}
	events, err := s.readCreditEvents(ctx, customerID)
	if err != nil {
		return nil, err
	}
	repaired, err := s.repairClaims(ctx, customerID, prefix, events)
	if err != nil {
		return nil, err
	}
	if len(repaired) == 0 {
		return events, nil
	}
	events = append(events, repaired...)
	slices.SortFunc(events, func(a, b datasets.CreditEvent) int { return strings.Compare(a.ID(), b.ID()) })
	return events, nil
}

// AddCreditProposal stores a new proposal. The id is checked first; ids are
// random, so two concurrent proposals with one id do not happen.
func (s *Store) AddCreditProposal(ctx context.Context, e datasets.CreditEvent) error {
	if e.Kind != datasets.CreditProposed {
		return fmt.Errorf("%w: credit event %s of kind %q is no proposal", datasets.ErrInvalid, e.ID(), e.Kind)
	}
	if err := e.Check(); err != nil {
		return err
	}
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	var n uint64
	if err := s.retryBroken(func() error { return s.entry.conn.QueryRow(ctx, creditProposalExistsSQL, e.ID()).Scan(&n) }); err != nil {
		return fmt.Errorf("clickhouse %s: look up proposal %s: %w", s.cfg, e.ProposalID, err)
	}
	if n > 0 {
		return fmt.Errorf("%w: proposal %s is already stored", datasets.ErrConflict, e.ProposalID)
	}
	return s.insertCreditEvents(ctx, []datasets.CreditEvent{e})
}

// DecideCredit claims the customer's decision e.Claim for e's proposal and
// writes the event, the decision and the customer's new limit. See the
// comment at the top of this file for why exactly one of concurrent callers
// wins.
func (s *Store) DecideCredit(ctx context.Context, e datasets.CreditEvent, decision *datasets.CreditDecision) error {
	if !e.Terminal() {
		return fmt.Errorf("%w: credit event %s of kind %q decides nothing", datasets.ErrInvalid, e.ID(), e.Kind)
	}
	if err := e.Check(); err != nil {
		return err
	}
	if decision != nil && (decision.CustomerID != e.CustomerID || decision.NewLimit < 0 || decision.NewLimit > maxMoney) {
		return fmt.Errorf("%w: credit decision %s does not fit event %s", datasets.ErrInvalid, decision.ID, e.ID())
	}
	if err := s.ensureSchema(ctx); err != nil {
		return err
	}
	events, err := s.CreditEvents(ctx, e.CustomerID)
	if err != nil {
		return err
	}
	found, claims := false, 0
	for i := range events {
		x := &events[i]
		if x.ProposalID == e.ProposalID {
			found = true
			if x.Terminal() {
				return fmt.Errorf("%w: proposal %s is already %s", datasets.ErrConflict, e.ProposalID, x.Kind)
			}
		}
		if x.Terminal() {
			claims++
		}
	}
	if !found {
		var n uint64
		if err := s.retryBroken(func() error { return s.entry.conn.QueryRow(ctx, creditProposalExistsSQL, e.ProposalID+"/1").Scan(&n) }); err != nil {
			return fmt.Errorf("clickhouse %s: look up proposal %s: %w", s.cfg, e.ProposalID, err)
		}
		if n > 0 {
			return fmt.Errorf("%w: proposal %s is not for customer %s", datasets.ErrInvalid, e.ProposalID, e.CustomerID)
		}
		return fmt.Errorf("%w: credit proposal %s", datasets.ErrNotFound, e.ProposalID)
	}
	if claims != e.Claim-1 {
		return fmt.Errorf("%w: customer %s has %d decisions, not the %d the caller read", datasets.ErrConflict, e.CustomerID, claims, e.Claim-1)
	}
	payload, err := json.Marshal(claimPayload{Event: e, Decision: decision})
	if err != nil {
		return fmt.Errorf("encode claim: %w", err)
	}
	name := claimPrefix(e.CustomerID) + strconv.Itoa(e.Claim)
	won, err := s.claim(ctx, s.nodeOf(e.CustomerID), name, string(payload))
	if err != nil {
		return err
	}
	if !won {
		return fmt.Errorf("%w: customer %s's decision %d was claimed by another caller", datasets.ErrConflict, e.CustomerID, e.Claim)
	}
	if err := s.project(ctx, claimPayload{Event: e, Decision: decision}); err != nil {
		return fmt.Errorf("proposal %s is %s (claim %s), but writing it to the ledger failed; the next credit command completes it: %w",
			e.ProposalID, e.Kind, name, err)
	}
	return nil
}

// claim creates the claim view name holding payload on n (the customer's
// server), and reports whether this call created it. When the connection
// breaks during the statement, whether the server created the view is
// unknown: the view is then read, and it is this call's when it holds this
// payload.
func (s *Store) claim(ctx context.Context, n *node, name, payload string) (bool, error) {
	create := strings.ReplaceAll(creditClaimCreateSQL, "{name}", s.cfg.LocalDatabase()+"."+name)
	err := n.conn.Exec(ctx, create, payload)
	switch {
	case err == nil:
		return true, nil
	case hasCode(err, codeTableExists):
		return false, nil
	case !brokenConnection(err) && !isTimeout(err):
		return false, fmt.Errorf("clickhouse %s: claim decision %s%s: %w", s.cfg, name, s.on(n), err)
	}
	s.log.Warn("connection lost while claiming a credit decision; reading the claim", "claim", name, "server", n.name, "err", err)
	var text string
	err = s.retryBroken(func() error {
		return n.conn.QueryRow(ctx, "SELECT payload FROM "+s.cfg.LocalDatabase()+"."+name).Scan(&text)
	})
	switch {
	case hasCode(err, codeUnknownTable):
		// Not created: claim again (a race now ends in a clean answer).
		if err := n.conn.Exec(ctx, create, payload); err != nil {
			if hasCode(err, codeTableExists) {
				return false, nil
			}
			return false, fmt.Errorf("clickhouse %s: claim decision %s%s: %w", s.cfg, name, s.on(n), err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("clickhouse %s: read claim %s after a lost connection%s: %w", s.cfg, name, s.on(n), err)
	}
	return text == payload, nil
}

// nodeOf returns the server that holds the rows of shard key key (a
// customer id; a forecast snapshot's id): its shard's on a cluster, the one
// server otherwise.
func (s *Store) nodeOf(key string) *node {
	if s.cfg.Cluster == "" {
		return s.entry
	}
	return s.shards[s.shardOf(key)].node
}

// claimNodes returns the servers whose claims a prefix may match: the
// customer's when prefix is one customer's (customerID set), every shard's
// otherwise.
func (s *Store) claimNodes(customerID string) []*node {
	if customerID != "" || s.cfg.Cluster == "" {
		return []*node{s.nodeOf(customerID)}
	}
	var out []*node
	for _, sh := range s.shards {
		if !slices.Contains(out, sh.node) {
			out = append(out, sh.node)
		}
	}
	return out
}

// customersTable is the store's customers table (the credit workflow
// writes a customer's new limit with a version of its own).
func (s *Store) customersTable() (*table[datasets.Customer], error) {
	for _, t := range s.tables {
		if ct, ok := t.(*table[datasets.Customer]); ok {
			return ct, nil
		}
	}
	return nil, fmt.Errorf("clickhouse %s: no customers table", s.cfg)
}

// retryBroken runs a read once more when the connection broke under it (the
// driver may close a pooled connection late; see insertCreditEvents).
func (s *Store) retryBroken(read func() error) error {
	err := read()
	if err != nil && brokenConnection(err) {
		err = read()
	}
	return err
}

// project writes a claimed decision's rows: the event, and for an approval
// the credit decision and the customer's limit. Writing them twice changes
// nothing (the ids are the claim's). The customer's limit is written only
// when no later claim of the customer approved another limit, and with a
// version taken before that check: a later approval claims after the check
// and takes its version after its claim, so it outranks this one whichever
// is written last (versions come from the clock: on one machine, or
// machines whose clocks agree).
func (s *Store) project(ctx context.Context, p claimPayload) error {
	if err := s.insertCreditEvents(ctx, []datasets.CreditEvent{p.Event}); err != nil {
		return err
	}
	d := p.Decision
	if d == nil {
		return nil
	}
	version := s.reserveVersions(1)
	later, err := s.laterApproval(ctx, &p.Event)
	if err != nil {
		return err
	}
	if !later {
		c, err := s.Customer(ctx, d.CustomerID)
		if err != nil {
			return err
		}
		c.CreditLimit, c.CreditLimitBlank = d.NewLimit, false
		t, err := s.customersTable()
		if err != nil {
			return err
		}
		if err := t.putChunk(ctx, s, s.nodeOf(c.ID), []datasets.Customer{c}, []uint64{version}); err != nil {
			return err
		}
	}
	return s.Put(ctx, &datasets.Ledger{CreditDecisions: []datasets.CreditDecision{*d}})
}

// laterApproval reports whether a claim after e's of the same customer
// approved a limit.
func (s *Store) laterApproval(ctx context.Context, e *datasets.CreditEvent) (bool, error) {
	prefix := claimPrefix(e.CustomerID)
	names, err := s.claimNames(ctx, e.CustomerID, prefix)
	if err != nil {
		return false, err
	}
	var later []string
	for _, n := range names {
		if k, err := strconv.Atoi(strings.TrimPrefix(n, prefix)); err == nil && k > e.Claim {
			later = append(later, regexp.QuoteMeta(n))
		}
	}
	if len(later) == 0 {
		return false, nil
	}
	payloads, err := s.readClaims(ctx, e.CustomerID, "^("+strings.Join(later, "|")+")$")
	if err != nil {
		return false, err
	}
	for _, p := range payloads {
		if p.Decision != nil {
			return true, nil
		}
	}
	return false, nil
}

// repairClaims writes the rows of the claims under prefix that events (the
// log as read) lack, and returns their events.
func (s *Store) repairClaims(ctx context.Context, customerID, prefix string, events []datasets.CreditEvent) ([]datasets.CreditEvent, error) {
	names, err := s.claimNames(ctx, customerID, prefix)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	have := map[string]bool{}
	for i := range events {
		if e := &events[i]; e.Terminal() {
			have[claimPrefix(e.CustomerID)+strconv.Itoa(e.Claim)] = true
		}
	}
	var missing []string
	for _, n := range names {
		if !have[n] {
			missing = append(missing, regexp.QuoteMeta(n))
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	payloads, err := s.readClaims(ctx, customerID, "^("+strings.Join(missing, "|")+")$")
	if err != nil {
		return nil, err
	}
	var out []datasets.CreditEvent
	for _, p := range payloads {
		s.log.Warn("completing a credit decision an earlier call left unwritten", "proposal", p.Event.ProposalID, "kind", p.Event.Kind)
		if err := s.project(ctx, p); err != nil {
			return nil, fmt.Errorf("complete the decision of proposal %s: %w", p.Event.ProposalID, err)
		}
		out = append(out, p.Event)
	}
	return out, nil
}

// claimNames lists the claim views whose names start with prefix, on the
// customer's server (every shard's when customerID is empty).
func (s *Store) claimNames(ctx context.Context, customerID, prefix string) ([]string, error) {
	var out []string
	for _, n := range s.claimNodes(customerID) {
		err := s.retryBroken(func() error {
			rows, err := n.conn.Query(ctx, creditClaimsSQL, s.cfg.LocalDatabase(), prefix)
			if err != nil {
				return err
			}
			defer rows.Close()
			var names []string
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					return err
				}
				names = append(names, name)
			}
			if err := rows.Err(); err != nil {
				return err
			}
			out = append(out, names...)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("clickhouse %s: list credit claims%s: %w", s.cfg, s.on(n), err)
		}
	}
	slices.Sort(out)
	return out, nil
}

// readClaims reads the payloads of the claim views matching re on the
// customer's server (every shard's when customerID is empty), in claim
// order.
func (s *Store) readClaims(ctx context.Context, customerID, re string) ([]claimPayload, error) {
	var out []claimPayload
	for _, n := range s.claimNodes(customerID) {
		var got []claimPayload
		err := s.retryBroken(func() error {
			got = nil
			rows, err := n.conn.Query(ctx, creditClaimReadSQL, s.cfg.LocalDatabase(), re)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var name, text string
				if err := rows.Scan(&name, &text); err != nil {
					return err
				}
				var p claimPayload
				if err := json.Unmarshal([]byte(text), &p); err != nil {
					return fmt.Errorf("decode credit claim %s: %w", name, err)
				}
				got = append(got, p)
			}
			return rows.Err()
		})
		if hasCode(err, codeUnknownTable) {
			continue // no view matches on this server
		}
		if err != nil {
			return nil, fmt.Errorf("clickhouse %s: read credit claims%s: %w", s.cfg, s.on(n), err)
		}
		out = append(out, got...)
	}
	slices.SortFunc(out, func(a, b claimPayload) int {
		if c := strings.Compare(a.Event.CustomerID, b.Event.CustomerID); c != 0 {
			return c
		}
		return a.Event.Claim - b.Event.Claim
	})
	return out, nil
}

func (s *Store) readCreditEvents(ctx context.Context, customerID string) ([]datasets.CreditEvent, error) {
	var out []datasets.CreditEvent
	err := s.retryBroken(func() error {
		out = []datasets.CreditEvent{}
		rows, err := s.entry.conn.Query(ctx, creditEventsSQL, customerID, customerID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				e                         datasets.CreditEvent
				id                        string
				at, review, expires, day  time.Time
				oldLimit, newLimit, cover decimal.Decimal
				claim                     uint32
				oldBlank                  uint8
			)
			if err := rows.Scan(&id, &e.ProposalID, &e.CustomerID, &e.Kind, &at, &e.Currency, &oldLimit, &newLimit, &cover,
				&e.Reason, &e.Source, &e.RiskClass, &review, &expires, &e.By, &e.Role, &e.Comment, &e.DecisionID, &claim, &day, &e.PolicyCurrency, &oldBlank); err != nil {
				return err
			}
			e.At = at.UTC()
			e.OldLimit, e.NewLimit, e.Secured = cents(oldLimit), cents(newLimit), cents(cover)
			e.Review, e.Expires, e.Day = datasets.DateOf(review), datasets.DateOf(expires), datasets.DateOf(day)
			e.Claim, e.OldLimitBlank = int(claim), oldBlank == 1
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("clickhouse %s: read credit events: %w", s.cfg, err)
	}
	return out, nil
}

// insertCreditEvents sends events as one INSERT per server: each to its
// customer's shard on a cluster. Under the caller's context, not one with
// its own deadline: cancelling a context right after Send can make the
// driver close the connection it has just returned to the pool (the read
// timeout still bounds every wait).
func (s *Store) insertCreditEvents(ctx context.Context, events []datasets.CreditEvent) error {
	byNode := map[*node][]*datasets.CreditEvent{}
	var order []*node
	for i := range events {
		n := s.nodeOf(events[i].CustomerID)
		if _, ok := byNode[n]; !ok {
			order = append(order, n)
		}
		byNode[n] = append(byNode[n], &events[i])
	}
	insert := strings.ReplaceAll(creditEventInsertSQL, "{db}", s.cfg.LocalDatabase())
	for _, n := range order {
		if err := s.sendCreditEvents(ctx, n, insert, byNode[n]); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) sendCreditEvents(ctx context.Context, n *node, insert string, events []*datasets.CreditEvent) error {
	batch, err := n.conn.PrepareBatch(ctx, insert)
	if err != nil {
		return fmt.Errorf("clickhouse %s: prepare credit events%s: %w", s.cfg, s.on(n), err)
	}
	defer batch.Close()
	for _, e := range events {
		if err := batch.Append(e.ID(), e.ProposalID, e.CustomerID, e.Kind, e.At, e.Currency,
			money(e.OldLimit), money(e.NewLimit), money(e.Secured), e.Reason, e.Source, e.RiskClass,
			e.Review.Time(), e.Expires.Time(), e.By, e.Role, e.Comment, e.DecisionID, uint32(e.Claim), e.Day.Time(), e.PolicyCurrency, flag(e.OldLimitBlank), s.reserveVersions(1)); err != nil {
			return fmt.Errorf("append credit event %s: %w", e.ID(), err)
		}
	}
	if err := batch.Send(); err != nil {
		return fmt.Errorf("clickhouse %s: insert credit events%s: %w", s.cfg, s.on(n), err)
	}
	return nil
}

// Customer returns one stored customer.
func (s *Store) Customer(ctx context.Context, id string) (datasets.Customer, error) {
	if err := s.ensureSchema(ctx); err != nil {
		return datasets.Customer{}, err
	}
	t, err := s.customersTable()
	if err != nil {
		return datasets.Customer{}, err
	}
	// The table's own column list and scanners, one id.
	q := strings.Replace(t.selectSQL, " FINAL ", " FINAL WHERE "+t.cols[0].name+" = ? ", 1)
	var (
		c     datasets.Customer
		found bool
	)
	err = s.retryBroken(func() error {
		rows, err := s.entry.conn.Query(ctx, q, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		dests := make([]any, len(t.cols))
		sets := make([]func(*datasets.Customer), len(t.cols))
		for i, col := range t.cols {
			dests[i], sets[i] = col.scan()
		}
		if found = rows.Next(); !found {
			return rows.Err()
		}
		if err := rows.Scan(dests...); err != nil {
			return err
		}
		for _, set := range sets {
			set(&c)
		}
		return nil
	})
	if err != nil {
		return datasets.Customer{}, fmt.Errorf("clickhouse %s: read customer %s: %w", s.cfg, id, err)
	}
	if !found {
		return datasets.Customer{}, fmt.Errorf("customer %q: %w", id, datasets.ErrNotFound)
	}
	return c, nil
}

// flag is a bool as 18.16 keeps it (UInt8: no Bool type).
func flag(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func money(m datasets.Money) decimal.Decimal { return decimal.New(int64(m), -datasets.MoneyScale) }

func cents(d decimal.Decimal) datasets.Money {
	return datasets.Money(d.Shift(datasets.MoneyScale).IntPart())
}
