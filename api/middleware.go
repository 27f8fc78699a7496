package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

// Context keys of the values middleware leaves for handlers.
const (
	ctxRequestID = "dsopilot.request_id"
	ctxLogger    = "dsopilot.logger"
	ctxKey       = "dsopilot.key"
	ctxDeadline  = "dsopilot.deadline"
)

// requestID returns the request's id (set by withRequestID).
func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// loggerOf returns the request's logger, which carries its id.
func loggerOf(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.New(slog.DiscardHandler)
}

// keyOf returns the authenticated key (nil on open routes).
func keyOf(c *gin.Context) *Key {
	if k, ok := c.Get(ctxKey); ok {
		return k.(*Key)
	}
	return nil
}

// validRequestID accepts a client's id when it is short and plain, so it
// can go into logs and headers unescaped.
func validRequestID(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:]) //nolint:errcheck // crypto/rand does not fail on Linux
	return hex.EncodeToString(b[:])
}

// observe is the outermost middleware: request id, panic recovery, the
// access log line and the metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-ID")
	if !validRequestID(id) {
		id = newRequestID()
	}
	c.Set(ctxRequestID, id)
	c.Header("X-Request-ID", id)
	log := s.log.With("request_id", id)
	c.Set(ctxLogger, log)
	defer func() {
		if r := recover(); r != nil {
			log.Error("panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				fail(c, fmt.Errorf("panic: %v", r))
			}
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		status := c.Writer.Status()
		d := time.Since(start)
		// An answer finished after WriteTimeout is not delivered: the
		// connection's write deadline (set before the handler ran) has
		// passed, and the client gets the connection closed. Logged as
		// the 200 the handler wrote, a trial's 11-minute credit request
		// looked answered. Status 0 says nothing was sent; the status
		// written stays in the line. (Only under Serve, whose
		// http.Server has this WriteTimeout.)
		written := status
		lost := s.cfg.WriteTimeout > 0 && d >= s.cfg.WriteTimeout
		if lost {
			status = 0
		}
		st := strconv.Itoa(status)
		s.metrics.requests.WithLabelValues(route, c.Request.Method, st).Inc()
		s.metrics.latency.WithLabelValues(route, c.Request.Method, st).Observe(d.Seconds())
		if !s.cfg.AccessLog {
			return
		}
		attrs := []slog.Attr{slog.String("method", c.Request.Method), slog.String("route", route),
			slog.String("path", c.Request.URL.Path), slog.Int("status", status),
			slog.Float64("ms", float64(d.Microseconds())/1000), slog.Int("bytes", c.Writer.Size())}
		if k := keyOf(c); k != nil {
			attrs = append(attrs, slog.String("key", k.Name), slog.String("role", k.Role))
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, slog.String("err", c.Errors.Last().Error()))
		}
		if lost {
			attrs = append(attrs, slog.Int("status_written", written), slog.String("err",
				fmt.Sprintf("not delivered: the answer took %s, past the server's write timeout (%s), and the client's connection was closed", d.Round(time.Millisecond), s.cfg.WriteTimeout)))
		}
		level := slog.LevelInfo
		if status >= 500 || lost {
			level = slog.LevelError
		}
		log.LogAttrs(c.Request.Context(), level, "request", attrs...)
	}()
	c.Next()
}

// withDeadline bounds the request's context by Config.RequestDeadline,
// which handlers pass to what they compute: past it they answer 503
// (fail) in time to be written, where an answer after WriteTimeout is
// lost.
func (s *Server) withDeadline(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.RequestDeadline)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Set(ctxDeadline, s.cfg.RequestDeadline)
	c.Next()
}

// bearer extracts the key from Authorization: Bearer KEY, or from Basic
// credentials whose password is the key (so that a browser can open
// /reports/). The scheme's name is case-insensitive (RFC 9110, 11.1).
func bearer(h string) string {
	scheme, v, _ := strings.Cut(strings.TrimSpace(h), " ")
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return strings.TrimSpace(v)
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
		if err != nil {
			return ""
		}
		if _, pass, ok := strings.Cut(string(raw), ":"); ok {
			return pass
		}
	}
	return ""
}

// authorize returns the middleware that admits keys of role min or above:
// 401 without a valid key, 403 with one whose role is too weak. It then
// applies the key's rate limit.
func (s *Server) authorize(min Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		key, err := s.keys.Verify(bearer(c.GetHeader("Authorization")))
		if err != nil {
			if strings.HasPrefix(c.Request.URL.Path, "/reports") {
				c.Header("WWW-Authenticate", `Basic realm="dsopilot reports"`)
			}
			fail(c, err)
			return
		}
		c.Set(ctxKey, key)
		if key.role < min {
			fail(c, fmt.Errorf("%w: %s needs the %s role or above; key %q is %s", ErrForbidden, c.FullPath(), min, key.Name, key.Role))
			return
		}
		if wait, ok := s.limiter.allow(key.ID, time.Now()); !ok {
			fail(c, rateLimited{wait})
			return
		}
		c.Next()
	}
}

// rateLimited is ErrRateLimited with the time until a request is allowed.
type rateLimited struct{ wait time.Duration }

func (r rateLimited) Error() string {
	return fmt.Sprintf("%v: retry in %.1f s", ErrRateLimited, r.wait.Seconds())
}
func (r rateLimited) Unwrap() error          { return ErrRateLimited }
func (r rateLimited) RetryAfterSeconds() int { return int(math.Ceil(r.wait.Seconds())) }

// limiter is a token bucket per key: rate requests per second, bursts of
// burst. A rate of 0 or less means no limit.
type limiter struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	keys  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(rate float64, burst int) *limiter {
	if burst < 1 {
		burst = max(1, int(rate))
	}
	return &limiter{rate: rate, burst: float64(burst), keys: map[string]*bucket{}}
}

// allow takes a token for key at now, or says how long until one is there.
func (l *limiter) allow(key string, now time.Time) (time.Duration, bool) {
	if l.rate <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.keys[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.keys[key] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// writeJSON encodes v as the response with status and content type.
func writeJSON(c *gin.Context, status int, contentType string, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		loggerOf(c).Error("encode response", "err", err)
		c.Status(http.StatusInternalServerError)
		return
	}
	c.Data(status, contentType, buf.Bytes())
}

// ok answers v as JSON.
func ok(c *gin.Context, status int, v any) { writeJSON(c, status, "application/json", v) }
