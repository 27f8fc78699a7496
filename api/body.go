package api

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"mime"
	"net/http"
	"os"
	"slices"

	"github.com/gin-gonic/gin"
)

// ctxBody is the context key of the request's captured body.
const ctxBody = "dsopilot.body"

// capturedBody is a request body read in full before the handler runs:
// in memory (JSON) or in a temporary file (ingest), with its SHA-256 for
// the idempotency check and its media type.
type capturedBody struct {
	data      []byte
	path      string // temporary file; removed after the request
	size      int64
	sum       [sha256.Size]byte
	mediaType string
}

// bodyOf returns the captured body.
func bodyOf(c *gin.Context) *capturedBody {
	if b, ok := c.Get(ctxBody); ok {
		return b.(*capturedBody)
	}
	return &capturedBody{}
}

// captureBody reads the body of a POST: its media type must be one of
// types (415 otherwise) and its size at most limit (413). With toFile the
// body goes to a temporary file in dir, which is removed when the request
// ends.
func captureBody(limit int64, types []string, toFile bool, dir string) gin.HandlerFunc {
	return func(c *gin.Context) {
		mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
		if err != nil || !slices.Contains(types, mt) {
			fail(c, fmt.Errorf("%w: Content-Type %q; this route reads %v", ErrMediaType, c.GetHeader("Content-Type"), types))
			return
		}
		if c.Request.ContentLength > limit {
			fail(c, fmt.Errorf("%w: %d bytes; the limit of this route is %d", ErrTooLarge, c.Request.ContentLength, limit))
			return
		}
		body := &capturedBody{mediaType: mt}
		h := sha256.New()
		r := http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		if toFile {
			err = body.toFile(r, h, dir)
			if body.path != "" {
				defer os.Remove(body.path)
			}
		} else {
			var buf bytes.Buffer
			_, err = io.Copy(io.MultiWriter(&buf, h), r)
			body.data, body.size = buf.Bytes(), int64(buf.Len())
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				fail(c, fmt.Errorf("%w: the limit of this route is %d bytes", ErrTooLarge, limit))
				return
			}
			fail(c, fmt.Errorf("%w: reading the body: %v", ErrMalformed, err))
			return
		}
		h.Sum(body.sum[:0])
		c.Set(ctxBody, body)
		c.Next()
	}
}

func (b *capturedBody) toFile(r io.Reader, h hash.Hash, dir string) error {
	// The importer tells the format by the file's extension.
	ext := ".csv"
	if slices.Contains(ndjsonTypes, b.mediaType) {
		ext = ".ndjson"
	}
	f, err := os.CreateTemp(dir, "ingest-*"+ext)
	if err != nil {
		return fmt.Errorf("temporary body file: %w", err)
	}
	b.path = f.Name()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	b.size = n
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
