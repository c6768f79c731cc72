package mailtest

import (
	"encoding/base64"
	"io"
	"mime/quotedprintable"
	"strings"
)

func newQP(r io.Reader) io.Reader { return quotedprintable.NewReader(r) }

// newB64 decodes base64 broken into lines, as mail carries it.
func newB64(r io.Reader) io.Reader {
	return base64.NewDecoder(base64.StdEncoding, &lineStripper{r: r})
}

type lineStripper struct{ r io.Reader }

func (l *lineStripper) Read(p []byte) (int, error) {
	for {
		n, err := l.r.Read(p)
		s := strings.NewReplacer("\r", "", "\n", "").Replace(string(p[:n]))
		copy(p, s)
		if len(s) > 0 || err != nil {
			return len(s), err
		}
	}
}
