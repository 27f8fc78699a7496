package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	bolt "go.etcd.io/bbolt"
)

// Idempotency keys (the IETF Idempotency-Key draft, as Stripe does it):
// a POST that creates or changes something and carries Idempotency-Key is
// executed once per key. The same key with the same request (method, path,
// query and body) gets the first answer again, with Idempotent-Replayed:
// true; with another request, a 422; while the first is still running, a
// 409. Keys are scoped to the API key that sent them and kept for
// idempotencyTTL in a bbolt file in the state directory, so a restart does
// not forget them. The answer is stored before it is sent: a client that
// saw it can rely on its replay.
//
// Answers are stored unless the request never started: 400, 413, 415, 422
// and 429 (the client fixes the request and may reuse the key) and 5xx (the
// client retries).

const (
	idempotencyTTL    = 24 * time.Hour
	maxIdempotencyKey = 255
	idemBucket        = "idempotency"
	// storedBucket remembers, for the same TTL, the spool ids whose batches
	// reached the store (GET /v1/spool/{id}).
	storedBucket = "spool_stored"
)

// idemRecord is a stored answer.
type idemRecord struct {
	Fingerprint string            `json:"fp"`
	Status      int               `json:"status"`
	Header      map[string]string `json:"header"`
	Body        []byte            `json:"body"`
	At          time.Time         `json:"at"`
}

// idempotency is the key store.
type idempotency struct {
	db       *bolt.DB
	mu       sync.Mutex
	inflight map[string]bool
}

func openIdempotency(dir string) (*idempotency, error) {
	db, err := bolt.Open(filepath.Join(dir, "idempotency.db"), 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("open idempotency keys in %s (is another server using this state directory?): %w", dir, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte(storedBucket)); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists([]byte(idemBucket))
		return err
	}); err != nil {
		db.Close()
		return nil, err
	}
	return &idempotency{db: db, inflight: map[string]bool{}}, nil
}

func (s *idempotency) Close() error { return s.db.Close() }

func (s *idempotency) get(scope string, now time.Time) (*idemRecord, error) {
	var rec *idemRecord
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket([]byte(idemBucket)).Get([]byte(scope))
		if v == nil {
			return nil
		}
		rec = &idemRecord{}
		return json.Unmarshal(v, rec)
	})
	if err != nil || rec == nil || now.Sub(rec.At) > idempotencyTTL {
		return nil, err
	}
	return rec, nil
}

func (s *idempotency) put(scope string, rec *idemRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(idemBucket)).Put([]byte(scope), v) })
}

// markStored records that spool entry id reached the store at now.
func (s *idempotency) markStored(id string, now time.Time) error {
	v, _ := now.UTC().MarshalText()
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(storedBucket)).Put([]byte(id), v) })
}

// wasStored reports whether spool entry id reached the store.
func (s *idempotency) wasStored(id string) (bool, error) {
	found := false
	err := s.db.View(func(tx *bolt.Tx) error {
		found = tx.Bucket([]byte(storedBucket)).Get([]byte(id)) != nil
		return nil
	})
	return found, err
}

// expire deletes the records older than the TTL.
func (s *idempotency) expire(now time.Time) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(idemBucket))
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var rec idemRecord
			if json.Unmarshal(v, &rec) != nil || now.Sub(rec.At) > idempotencyTTL {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		sb := tx.Bucket([]byte(storedBucket))
		var done [][]byte
		err = sb.ForEach(func(k, v []byte) error {
			var at time.Time
			if at.UnmarshalText(v) != nil || now.Sub(at) > idempotencyTTL {
				done = append(done, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range done {
			if err := sb.Delete(k); err != nil {
				return err
			}
		}
		n = len(old) + len(done)
		return nil
	})
	return n, err
}

// begin marks scope in flight; false if it already is.
func (s *idempotency) begin(scope string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[scope] {
		return false
	}
	s.inflight[scope] = true
	return true
}

func (s *idempotency) end(scope string) {
	s.mu.Lock()
	delete(s.inflight, scope)
	s.mu.Unlock()
}

// stored reports whether an answer with status is kept for replay.
func stored(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType,
		http.StatusUnprocessableEntity, http.StatusTooManyRequests:
		return false
	}
	return status < 500
}

// replayedHeaders are the response headers kept with an answer.
var replayedHeaders = []string{"Content-Type", "Location", "Retry-After"}

// idempotent is the middleware of creating and changing POSTs; it runs
// after captureBody.
func (s *Server) idempotent(c *gin.Context) {
	ik := c.GetHeader("Idempotency-Key")
	if ik == "" {
		c.Next()
		return
	}
	if len(ik) > maxIdempotencyKey {
		fail(c, invalid("bad Idempotency-Key", FieldError{Header: "Idempotency-Key", Detail: fmt.Sprintf("at most %d characters", maxIdempotencyKey)}))
		return
	}
	keyID := ""
	if k := keyOf(c); k != nil {
		keyID = k.ID
	}
	scope := keyID + "\x00" + ik
	body := bodyOf(c)
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00", c.Request.Method, c.Request.URL.RequestURI())
	h.Write(body.sum[:])
	fp := hex.EncodeToString(h.Sum(nil))

	if !s.idem.begin(scope) {
		fail(c, fmt.Errorf("%w: a request with this Idempotency-Key is still being processed; retry later", ErrConflict))
		return
	}
	defer s.idem.end(scope)
	now := s.now()
	rec, err := s.idem.get(scope, now)
	if err != nil {
		fail(c, fmt.Errorf("read idempotency key: %w", err))
		return
	}
	if rec != nil {
		if rec.Fingerprint != fp {
			fail(c, invalid("Idempotency-Key reused with another request",
				FieldError{Header: "Idempotency-Key", Detail: "this key was first used at " + rec.At.UTC().Format(time.RFC3339) + " for a different method, path or body; use a new key"}))
			return
		}
		for k, v := range rec.Header {
			c.Header(k, v)
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(rec.Status, rec.Header["Content-Type"], rec.Body)
		c.Abort()
		return
	}
	bw := &bufferedWriter{ResponseWriter: c.Writer, status: http.StatusOK}
	c.Writer = bw
	c.Next()
	c.Writer = bw.ResponseWriter
	if stored(bw.status) {
		rec := &idemRecord{Fingerprint: fp, Status: bw.status, Header: map[string]string{}, Body: bw.buf.Bytes(), At: now}
		for _, k := range replayedHeaders {
			if v := c.Writer.Header().Get(k); v != "" {
				rec.Header[k] = v
			}
		}
		if err := s.idem.put(scope, rec); err != nil {
			// The work is done but its answer could not be kept: say so
			// rather than answer something a retry would not see again.
			loggerOf(c).Error("store idempotency key", "err", err)
			c.Writer.Header().Set("Content-Type", "application/problem+json")
			bw.status = http.StatusInternalServerError
			p := problemFor(fmt.Errorf("store idempotency key: %w", err))
			p.RequestID, p.Instance = requestID(c), c.Request.URL.Path
			bw.buf.Reset()
			b, _ := json.Marshal(p)
			bw.buf.Write(b)
		}
	}
	c.Writer.WriteHeader(bw.status)
	c.Writer.Write(bw.buf.Bytes()) //nolint:errcheck // the client went away
}

// bufferedWriter holds the handler's answer until it is stored.
type bufferedWriter struct {
	gin.ResponseWriter
	buf     bytes.Buffer
	status  int
	written bool
}

func (w *bufferedWriter) WriteHeader(code int) {
	if !w.written {
		w.status = code
	}
}
func (w *bufferedWriter) WriteHeaderNow()             { w.written = true }
func (w *bufferedWriter) Write(b []byte) (int, error) { w.written = true; return w.buf.Write(b) }
func (w *bufferedWriter) WriteString(s string) (int, error) {
	w.written = true
	return w.buf.WriteString(s)
}
func (w *bufferedWriter) Status() int   { return w.status }
func (w *bufferedWriter) Size() int     { return w.buf.Len() }
func (w *bufferedWriter) Written() bool { return w.written }
