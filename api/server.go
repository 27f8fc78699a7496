package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dsopilot/dsopilot/datasets"
)

// Config is everything a Server needs; cmd/dsopilot fills it from flags
// and DSOPILOT_* variables.
type Config struct {
	// Addr is the listen address (HOST:PORT) for Run.
	Addr string
	// OpenStore opens the ledger store; it is called again after the store
	// failed. A store with Ping(ctx) error is pinged by /readyz.
	OpenStore func(ctx context.Context) (Store, error)
	// Models is the model registry (model.Registry).
	Models Models
	// KeysPath is the keys file (dsopilot keys create).
	KeysPath string
	// StateDir holds the spool and the idempotency keys.
	StateDir string
	// AsOf fixes the date the open book is scored as of; zero means today
	// (UTC), rolling over at midnight.
	AsOf datasets.Date
	// FX converts amounts to a reporting currency for GET /v1/kpi?currency=.
	FX *datasets.FX
	// RateLimit is each key's sustained requests per second (0: none) and
	// RateBurst the bursts allowed above it.
	RateLimit float64
	RateBurst int
	// MaxBodyBytes limits JSON bodies, MaxIngestBytes ingest bodies.
	MaxBodyBytes   int64
	MaxIngestBytes int64
	// Timeouts of the HTTP server, and the time SIGTERM leaves in-flight
	// requests and the spool to finish.
	ReadTimeout, WriteTimeout, IdleTimeout, ShutdownTimeout time.Duration
	// RequestDeadline bounds the computation behind a read (the context
	// of every route but ingest and the idempotent writes): past it the
	// answer is a 503 with Retry-After. It must leave the answer time to
	// be written before WriteTimeout closes the connection, after which
	// the client got nothing at all; 0 (or one not below WriteTimeout) is
	// WriteTimeout less a tenth, at most 30 s less.
	RequestDeadline time.Duration
	// PollEvery is how often the registry's promoted model, the keys file
	// (a created or revoked key takes effect within it), the date and the
	// spool are checked; ReloadEvery how often the whole
	// ledger is reread from the store (0: only at start).
	PollEvery, ReloadEvery time.Duration
	// MaxReasons is the most reasons a score may ask for (?reasons=).
	MaxReasons int
	// AccessLog writes one log line per request.
	AccessLog bool
	// Parts built by other packages; nil answers 503.
	Collections Collections
	Credit      Credit
	Forecast    Forecaster
	Reports     ReportSite
	Log         *slog.Logger
	Build       string
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
}

// ReportSite is the chart site mounted under /reports/ (reports.Handler
// behind an adapter): Update rebuilds it after the ledger or the model
// changed, and it answers requests with the last site built.
type ReportSite interface {
	http.Handler
	Update(ctx context.Context, l *datasets.Ledger, asOf datasets.Date) error
}

// withDefaults fills the zero fields.
func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.ReadTimeout, 2*time.Minute)
	def(&c.WriteTimeout, 5*time.Minute)
	def(&c.IdleTimeout, 2*time.Minute)
	def(&c.ShutdownTimeout, 30*time.Second)
	if c.RequestDeadline <= 0 || c.RequestDeadline >= c.WriteTimeout {
		c.RequestDeadline = c.WriteTimeout - min(c.WriteTimeout/10, 30*time.Second)
	}
	def(&c.PollEvery, 2*time.Second)
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 16 << 20
	}
	if c.MaxIngestBytes == 0 {
		c.MaxIngestBytes = 2 << 30
	}
	if c.MaxReasons == 0 {
		c.MaxReasons = 5
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is the dsopilot HTTP API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	keys    *Keys
	limiter *limiter
	metrics *metrics
	idem    *idempotency
	store   *storeHandle
	sink    *sink
	engine  *gin.Engine
	routes  []route
	now     func() time.Time
	// actions are the types and channels an action may be recorded with.
	actions actionVocabulary

	snap atomic.Pointer[snapshot]
	// model is the model in service (nil: none).
	model atomic.Pointer[servedModel]
	// pending are acknowledged batches not yet in a snapshot, in order;
	// a rebuild drops the ones it merged as it swaps its snapshot in,
	// under pendingMu (see view).
	pendingMu sync.Mutex
	pending   []*datasets.Ledger
	// resolveMu makes resolving a dispute check-and-record in one step.
	resolveMu sync.Mutex
	// queued counts the batches ever added to pending; a snapshot's
	// applied says how many of them it holds (pending is a queue that a
	// rebuild drains whole), so tests can wait for exactly their writes.
	queued uint64
	kick   chan struct{}
	// ingesting counts the ingest requests running: their batches are
	// merged once they end (or after maxMergeDelay), not batch by batch
	// while the importer still needs the cores.
	ingesting atomic.Int32
	// reloadWanted asks for the ledger to be reread from the store (after
	// a large ingest), once the spool is empty.
	reloadWanted atomic.Bool
	// loaded is set once the ledger was read from the store; until then
	// the snapshot in service is the empty one of the start, and the
	// routes that answer from the ledger refuse (unread). loadErr is why
	// the last full read failed.
	loaded  atomic.Bool
	loadMu  sync.Mutex
	loadErr error
	// reportsReady is set once the report site was built.
	reportsReady atomic.Bool
	reportsKick  chan struct{}
	tmpDir       string

	docOnce sync.Once
	docJSON []byte
	docErr  error

	closeOnce sync.Once
}

// New builds a server: it reads the keys, opens the state directory
// (spool, idempotency keys) and loads the promoted model; the ledger is
// read by Start (or Run).
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.OpenStore == nil || cfg.Models == nil || cfg.KeysPath == "" || cfg.StateDir == "" {
		return nil, errors.New("api: Config needs OpenStore, Models, KeysPath and StateDir")
	}
	keys, err := LoadKeys(cfg.KeysPath)
	if err != nil {
		return nil, err
	}
	if keys.Len() == 0 {
		cfg.Log.Warn("the keys file holds no key: every /v1 request will be refused (dsopilot keys create)")
	}
	if err := os.MkdirAll(cfg.StateDir, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	tmp := filepath.Join(cfg.StateDir, "tmp")
	os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	sp, err := openSpool(filepath.Join(cfg.StateDir, "spool"))
	if err != nil {
		return nil, err
	}
	idem, err := openIdempotency(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Log, keys: keys, limiter: newLimiter(cfg.RateLimit, cfg.RateBurst), metrics: newMetrics(),
		idem: idem, now: cfg.Now, kick: make(chan struct{}, 1), reportsKick: make(chan struct{}, 1), tmpDir: tmp,
		actions: newActionVocabulary(cfg.Collections)}
	s.store = &storeHandle{open: cfg.OpenStore, log: cfg.Log}
	s.sink = &sink{store: s.store, spool: sp, metrics: s.metrics, log: cfg.Log, acked: s.addPending, wake: make(chan struct{}, 1)}
	if b, ok := cfg.Credit.(storeBinder); ok {
		b.bindStore(s.store.get)
	}
	s.sink.stored = func(id string) {
		if err := idem.markStored(id, s.now()); err != nil {
			s.log.Error("remember stored spool entry", "spool_id", id, "err", err)
		}
	}
	s.sink.gauge()
	if n, rows := sp.depth(); n > 0 {
		cfg.Log.Warn("spool holds batches from before the restart; they are replayed when the store answers", "batches", n, "rows", rows)
	}
	if m, err := loadModel(cfg.Models, ""); err == nil {
		s.model.Store(m)
		s.metrics.setModel(m.meta.ID)
	} else {
		cfg.Log.Warn("no model in service: scoring answers 503 until one is promoted", "err", err)
	}
	// The empty snapshot until the ledger is read: the routes answering
	// from the ledger refuse it (unread); should anything read it still,
	// its scoring error says what is missing, not that no model is.
	initial := buildSnapshot(context.Background(), 0, &datasets.Ledger{}, nil, s.asOf(), cfg.MaxReasons, cfg.FX)
	initial.scoreErr = fmt.Errorf("%w: no ledger has been read from the store yet", ErrUnavailable)
	s.snap.Store(initial)
	s.engine = s.newEngine()
	return s, nil
}

// Handler is the server's http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// asOf is the date the book is scored as of.
func (s *Server) asOf() datasets.Date {
	if s.cfg.AsOf != 0 {
		return s.cfg.AsOf
	}
	return datasets.DateOf(s.now().UTC())
}

// addPending queues an acknowledged batch for the next snapshot.
func (s *Server) addPending(b *datasets.Ledger) {
	s.pendingMu.Lock()
	s.pending = append(s.pending, b)
	s.queued++
	s.pendingMu.Unlock()
	s.kickRebuild()
}

// kickRebuild asks the background loop for a new snapshot.
func (s *Server) kickRebuild() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Start reads the ledger and starts the background work (snapshot
// rebuilds, model and keys polling, spool replay) until ctx ends. It
// returns once the first load was tried; a store that is not reachable
// yet is retried in the background.
func (s *Server) Start(ctx context.Context) {
	// Before the first snapshot: following it starts preparing the
	// credit advice, under ctx.
	if p, ok := s.cfg.Credit.(prepStarter); ok {
		p.startPrep(ctx)
	}
	if err := s.rebuild(ctx, true); err != nil {
		s.log.Warn("ledger not loaded yet; retrying in the background", "err", err)
	}
	go s.sink.replayLoop(ctx, s.cfg.PollEvery)
	go s.keysLoop(ctx)
	go s.background(ctx)
	if s.cfg.Reports != nil {
		go s.reportsLoop(ctx)
	}
}

// rebuildDelay gathers the batches of a burst of writes into one rebuild.
const rebuildDelay = 200 * time.Millisecond

// maxMergeDelay bounds how long a running ingest defers the rebuild.
const maxMergeDelay = 30 * time.Second

func (s *Server) background(ctx context.Context) {
	poll := time.NewTicker(s.cfg.PollEvery)
	defer poll.Stop()
	lastReload := s.now()
	lastExpire := time.Time{}
	var failing rebuildFailures
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
			select {
			case <-time.After(rebuildDelay):
			case <-ctx.Done():
				return
			}
		case <-poll.C:
		}
		full := !s.loaded.Load() || s.reloadWanted.Load() || s.cfg.ReloadEvery > 0 && s.now().Sub(lastReload) >= s.cfg.ReloadEvery
		// Reread the store only once the spool is empty: before, it lacks
		// acknowledged batches the snapshot already has.
		full = full && s.sink.spool.empty()
		s.pollModel()
		cur := s.snap.Load()
		need := full || s.hasPending() || cur.asOf != s.asOf() || cur.modelID() != s.servedID()
		// A running ingest's batches wait for its end (or maxMergeDelay),
		// unless the model or the day changed.
		deferred := !full && cur.asOf == s.asOf() && cur.modelID() == s.servedID() &&
			s.ingesting.Load() > 0 && s.now().Sub(cur.built) < maxMergeDelay
		if need && !deferred {
			wanted := s.reloadWanted.Swap(false)
			err := s.rebuild(ctx, full)
			switch {
			case err != nil && ctx.Err() == nil:
				s.reloadWanted.Store(wanted)
				failing.failed(s.log, s.now(), err)
			case err == nil:
				failing.rebuilt(s.log)
				if full {
					lastReload = s.now()
				}
			}
		}
		if s.now().Sub(lastExpire) > time.Hour {
			lastExpire = s.now()
			if n, err := s.idem.expire(s.now()); err != nil {
				s.log.Error("expire idempotency keys", "err", err)
			} else if n > 0 {
				s.log.Info("expired idempotency keys", "n", n)
			}
		}
	}
}

func (s *Server) hasPending() bool {
	s.pendingMu.Lock()
	defer s.pendingMu.Unlock()
	return len(s.pending) > 0
}

func (s *Server) servedID() string {
	if m := s.model.Load(); m != nil {
		return m.meta.ID
	}
	return ""
}

// pollModel loads the promoted model when it changed. Requests keep using
// the snapshot they started with, so none fails during the swap.
func (s *Server) pollModel() {
	id, err := s.cfg.Models.Promoted()
	if err != nil || id == s.servedID() {
		return
	}
	m, err := loadModel(s.cfg.Models, id)
	if err != nil {
		s.log.Error("promoted model cannot be loaded; keeping the one in service", "model", id, "err", err)
		return
	}
	s.model.Store(m)
	s.metrics.setModel(id)
	s.log.Info("model promoted", "model", id)
}

// keysLoop rereads the keys file every PollEvery, on its own: in the
// background loop a rebuild of a large ledger (minutes) would hold up a
// revocation as long.
func (s *Server) keysLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.pollKeys()
		}
	}
}

func (s *Server) pollKeys() {
	if changed, err := s.keys.Reload(); err != nil {
		s.log.Error("keys file not reloaded; the keys read before stay in force", "err", err)
	} else if changed {
		s.log.Info("keys file reloaded", "keys", s.keys.Len())
	}
}

// rebuild makes and swaps in a new snapshot: the current ledger (or, with
// full, the store's) with the pending batches merged, scored with the
// model in service as of today.
func (s *Server) rebuild(ctx context.Context, full bool) error {
	start := time.Now()
	// The batches merged stay in pending until the snapshot holding them
	// is in service (view reads the two together).
	s.pendingMu.Lock()
	deltas := slices.Clone(s.pending)
	applied := s.queued
	s.pendingMu.Unlock()
	cur := s.snap.Load()
	base := cur.ledger
	if full {
		st, err := s.store.get(ctx)
		if err != nil {
			s.loadFailed(err)
			return err
		}
		l, err := st.Load(ctx)
		if err != nil {
			s.store.broken(st)
			err = fmt.Errorf("load ledger: %w", err)
			s.loadFailed(err)
			return err
		}
		sortLedger(l)
		base = l
	}
	if len(deltas) > 0 {
		base = mergeLedger(base, deltas)
	}
	snap := buildSnapshot(ctx, cur.gen+1, base, s.model.Load(), s.asOf(), s.cfg.MaxReasons, s.cfg.FX)
	snap.applied = applied
	if ctx.Err() != nil {
		return ctx.Err()
	}
	s.pendingMu.Lock()
	s.snap.Store(snap)
	s.pending = slices.Clone(s.pending[len(deltas):])
	s.pendingMu.Unlock()
	s.follow(snap)
	if full {
		s.loaded.Store(true)
	}
	secs := time.Since(start).Seconds()
	s.metrics.snapGen.Set(float64(snap.gen))
	s.metrics.snapSecs.Set(secs)
	s.metrics.openInv.Set(float64(len(snap.scores)))
	s.log.Info("snapshot built", "generation", snap.gen, "as_of", snap.asOf.String(), "model", snap.modelID(),
		"invoices", len(snap.ledger.Invoices), "open_scored", len(snap.scores), "merged_batches", len(deltas), "full_load", full,
		"seconds", secs, "scoring_error", errString(snap.scoreErr), "implied_write_offs", len(snap.settled.CreditNotes)-len(snap.ledger.CreditNotes))
	if w := snap.ratesWarning(); w != "" && !slices.Equal(snap.unrated, cur.unrated) {
		s.log.Warn(w)
	}
	if snap.settleErr != nil {
		s.log.Warn("settled invoices not covered by cash are read as paid: their implied write-offs could not be summed", "err", snap.settleErr)
	}
	if s.cfg.Reports != nil {
		select {
		case s.reportsKick <- struct{}{}:
		default:
		}
	}
	return nil
}

// loadFailed keeps why the ledger could not be read, for unread.
func (s *Server) loadFailed(err error) {
	s.loadMu.Lock()
	s.loadErr = err
	s.loadMu.Unlock()
}

// unread is nil once the ledger was read from the store; before, it is
// the 503 every route answering from the ledger gives, with the reason
// (the store's lock and its holder, the store unreachable, a load that
// failed), as /readyz says it. The snapshot in service until then is the
// empty one of the start, built without the model: served as data, it
// answered KPIs of nothing, "no customer" for every customer and "no
// model is in service" while the promoted model was loaded.
func (s *Server) unread() error {
	if s.loaded.Load() {
		return nil
	}
	s.loadMu.Lock()
	err := s.loadErr
	s.loadMu.Unlock()
	why := "it is being read"
	if err != nil {
		why = strings.TrimPrefix(err.Error(), ErrUnavailable.Error()+": ")
	}
	every := s.retryEvery()
	return retrying{fmt.Errorf("%w: no ledger has been read from the store yet, so nothing can be answered from it: %s (the server retries every %s)",
		ErrUnavailable, why, every), every}
}

// retryEvery is how often the server tries the store again while it cannot
// read the ledger: the Retry-After of the 503s that waits for it.
func (s *Server) retryEvery() time.Duration { return max(s.cfg.PollEvery, reopenEvery) }

// follow hands the snapshot's ledger, with the write-offs its settlements
// imply, to the parts that work on it.
func (s *Server) follow(snap *snapshot) {
	for _, p := range []any{s.cfg.Collections, s.cfg.Credit, s.cfg.Forecast} {
		if f, ok := p.(Follower); ok {
			f.Follow(snap.settled, snap.asOf)
		}
	}
}

// reportsLoop rebuilds the report site after snapshots, one at a time.
func (s *Server) reportsLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reportsKick:
		}
		snap := s.snap.Load()
		if err := s.cfg.Reports.Update(ctx, snap.settled, snap.asOf); err != nil {
			s.log.Error("report site not rebuilt", "err", err)
			continue
		}
		s.reportsReady.Store(true)
	}
}

// WaitSnapshot blocks until a snapshot of generation gen or later is in
// service, or ctx ends (tests and benchmarks).
func (s *Server) WaitSnapshot(ctx context.Context, gen uint64) error {
	for s.snap.Load().gen < gen {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// Settled reports whether the snapshot in service holds every batch
// acknowledged so far and the store's ledger was read (tests).
func (s *Server) Settled() bool {
	s.pendingMu.Lock()
	queued := s.queued
	s.pendingMu.Unlock()
	return s.loaded.Load() && s.snap.Load().applied >= queued
}

// Generation is the generation of the snapshot in service.
func (s *Server) Generation() uint64 { return s.snap.Load().gen }

// Run serves on cfg.Addr until ctx ends (SIGTERM), then shuts down
// gracefully: it stops accepting, lets the requests in flight finish,
// replays the spool if the store answers and closes everything.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", s.cfg.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener of the caller's.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	s.Start(bg)
	hs := &http.Server{Handler: s.engine, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: s.cfg.ReadTimeout,
		WriteTimeout: s.cfg.WriteTimeout, IdleTimeout: s.cfg.IdleTimeout, ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	s.log.Info("serving", "addr", ln.Addr().String(), "build", s.cfg.Build)
	select {
	case err := <-errc:
		stop()
		s.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	stop()
	// Every acknowledged batch is in the store or fsynced in the spool by
	// now; try to empty the spool before leaving.
	if !s.sink.spool.empty() {
		if n, rerr := s.sink.replay(sctx); rerr != nil {
			s.log.Warn("spool not empty at shutdown; it is replayed at the next start", "replayed", n, "err", rerr)
		}
	}
	s.Close()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: requests still running after %s", s.cfg.ShutdownTimeout)
	}
	return nil
}

// Close releases the store and the state files.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		err = errors.Join(s.store.close(), s.idem.Close())
		os.RemoveAll(s.tmpDir)
	})
	return err
}
