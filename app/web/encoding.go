package web

import (
	"bytes"
	"compress/gzip"
	"github.com/klauspost/compress/gzhttp"
	"net/http"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/labstack/echo/v4"
)

// acceptedEncodings reads which of brotli (about a fifth smaller than gzip
// on our scripts) and gzip the client takes; one refused with q=0 is not.
func acceptedEncodings(r *http.Request) (br, gz bool) {
	for _, part := range strings.Split(r.Header.Get(echo.HeaderAcceptEncoding), ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if refused(params) {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(enc)) {
		case "br":
			br = true
		case "gzip":
			gz = true
		}
	}
	return br, gz
}

// refused reads a q parameter of zero ("q=0", "q=0.0", "q=0.000").
func refused(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			v = strings.TrimSpace(v)
			return strings.Trim(v, "0.") == "" && strings.HasPrefix(v, "0")
		}
	}
	return false
}

// precompressed keeps files compressed once: embedded files never change
// while the process runs, so each costs its compression a single time.
// Gzip (best level, a few milliseconds) is made on the first request;
// brotli at its best level takes a few hundred milliseconds for our larger
// scripts, so it is made in the background on the first request, which
// gets gzip meanwhile: no page waits for it.
type precompressed struct {
	m      sync.Map // "enc:key" → []byte
	making sync.Map // "br:key" → struct{}, while brotli is being made
}

// get returns b encoded with enc ("br" or "gzip") as kept under key, which
// must name b's exact content (a path with a hash); nil while not ready.
func (p *precompressed) get(enc, key string, b []byte) []byte {
	k := enc + ":" + key
	if v, ok := p.m.Load(k); ok {
		return v.([]byte)
	}
	if enc == "br" {
		if _, busy := p.making.LoadOrStore(k, struct{}{}); !busy {
			go func() {
				var buf bytes.Buffer
				w := brotli.NewWriterLevel(&buf, brotli.BestCompression)
				w.Write(b)
				w.Close()
				p.m.Store(k, buf.Bytes())
			}()
		}
		return nil
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w.Write(b)
	w.Close()
	v, _ := p.m.LoadOrStore(k, buf.Bytes())
	return v.([]byte)
}

// send answers a text file, compressed when the client takes
// it; Vary tells caches that the answer depends on Accept-Encoding.
func (p *precompressed) send(c echo.Context, ct, key string, b []byte, allow bool) error {
	c.Response().Header().Add(echo.HeaderVary, echo.HeaderAcceptEncoding)
	if allow {
		br, gz := acceptedEncodings(c.Request())
		if br {
			if z := p.get("br", key, b); z != nil {
				c.Response().Header().Set(echo.HeaderContentEncoding, "br")
				return c.Blob(http.StatusOK, ct, z)
			}
		}
		if gz {
			c.Response().Header().Set(echo.HeaderContentEncoding, "gzip")
			return c.Blob(http.StatusOK, ct, p.get("gzip", key, b))
		}
	}
	return c.Blob(http.StatusOK, ct, b)
}

// gzipResponses compresses pages and JSON of 1 KiB or more for clients
// that accept gzip. It takes a compressor only once a response is that
// long: echo's own gzip middleware closes a pooled writer after every
// response, short or not, which builds a fresh compressor (hundreds of KB)
// whenever the pool was emptied — under load a fifth of the CPU and most
// of the heap went there for the visitor API's small answers.
func gzipResponses(skip func(echo.Context) bool) echo.MiddlewareFunc {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.CompressionLevel(5), gzhttp.EnableZstd(false))
	if err != nil {
		panic(err) // constant options
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if skip(c) {
				return next(c)
			}
			res := c.Response()
			orig := res.Writer
			// Also after a panic, so Recover answers on the connection.
			defer func() { res.Writer = orig }()
			wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				res.Writer = w
				c.SetRequest(r)
				// Errors are rendered here, through the compressor, which
				// is closed when this function returns.
				if err := next(c); err != nil {
					c.Error(err)
				}
			})).ServeHTTP(orig, c.Request())
			return nil
		}
	}
}
