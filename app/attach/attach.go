// Package attach keeps the files sent in conversations: it decides what a
// file is from its bytes (never from its name or the type the sender
// claims), refuses what the policy does not allow, stores each file once
// under its content hash and makes bounded thumbnails of pictures.
package attach

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for DecodeConfig and thumbnails
	"image/jpeg"
	_ "image/png"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp"

	"parley/app/model"
)

// Known lists every type the sniffer recognises, with the extension a
// downloaded file gets; a policy may allow only these.
var Known = map[string]string{
	"image/png":                     ".png",
	"image/jpeg":                    ".jpg",
	"image/gif":                     ".gif",
	"image/webp":                    ".webp",
	"application/pdf":               ".pdf",
	"text/plain":                    ".txt",
	"application/msword":            ".doc",
	"application/vnd.ms-excel":      ".xls",
	"application/vnd.ms-powerpoint": ".ppt",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   ".docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         ".xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
	"application/vnd.oasis.opendocument.text":                                   ".odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            ".ods",
	"application/vnd.oasis.opendocument.presentation":                           ".odp",
}

// DefaultTypes are pictures, PDF and office documents.
var DefaultTypes = []string{
	"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text",
	"application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
}

// DefaultMaxBytes is the size limit unless configured.
const DefaultMaxBytes = 10 << 20

// Inline reports whether browsers may show a file of this type in the
// page: raster pictures only. Everything else is a download.
func Inline(contentType string) bool {
	switch contentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// Thumbnails fit in ThumbSize×ThumbSize; pictures of more than MaxPixels
// are stored but get no thumbnail, so a tiny file that claims to be
// 100,000×100,000 pixels is never decoded.
const (
	ThumbSize = 320
	MaxPixels = 24_000_000
	// MaxNameLen bounds a file's name, in characters.
	MaxNameLen = 200
)

// Refusals a sender sees.
var (
	ErrTooLarge = &model.FieldError{Field: "file", Message: "This file is larger than %s."}
	ErrType     = &model.FieldError{Field: "file", Message: "This kind of file cannot be sent. Send a picture, a PDF or an office document."}
	ErrEmpty    = &model.FieldError{Field: "file", Message: "This file is empty."}
)

// Files stores attachments under a directory.
type Files struct {
	dir      string
	maxBytes int64
	allowed  map[string]bool
	// decoding bounds how many pictures are decoded at once: each may
	// take up to 4 bytes a pixel.
	decoding chan struct{}
}

// New stores files under dir, allowing types (from Known) up to maxBytes.
func New(dir string, maxBytes int64, types []string) *Files {
	f := &Files{dir: dir, maxBytes: maxBytes, allowed: map[string]bool{}, decoding: make(chan struct{}, 2)}
	for _, t := range types {
		f.allowed[t] = true
	}
	return f
}

// MaxBytes is the size limit.
func (f *Files) MaxBytes() int64 { return f.maxBytes }

// Put reads a file, checks it and stores it; the returned attachment has
// no id or message yet. A refusal is a *model.FieldError.
func (f *Files) Put(name string, r io.Reader) (*model.Attachment, error) {
	if err := os.MkdirAll(f.dir, 0o750); err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	tmp, err := os.CreateTemp(f.dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename this finds nothing
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, f.maxBytes+1))
	if err != nil {
		if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EROFS) {
			// The disk, not the upload, failed: the sender may try again.
			return nil, fmt.Errorf("attach: store upload: %w: %w", model.ErrStorage, err)
		}
		return nil, fmt.Errorf("attach: read upload: %w", err)
	}
	if n > f.maxBytes {
		e := *ErrTooLarge
		e.Args = []any{HumanSize(f.maxBytes)}
		return nil, &e
	}
	if n == 0 {
		return nil, ErrEmpty
	}
	ct, err := sniff(tmp, n, name)
	if err != nil {
		return nil, err
	}
	if !f.allowed[ct] {
		return nil, ErrType
	}
	a := &model.Attachment{Name: cleanName(name, ct), Size: n, ContentType: ct, Hash: hex.EncodeToString(h.Sum(nil))}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	dst := f.path(a.Hash)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return nil, fmt.Errorf("attach: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return nil, fmt.Errorf("attach: store: %w", err)
	}
	if strings.HasPrefix(ct, "image/") {
		a.Width, a.Height, a.Thumbnail = f.thumbnail(a.Hash)
	}
	return a, nil
}

// path is where a file of this hash lives: two levels keep directories small.
func (f *Files) path(hash string) string {
	return filepath.Join(f.dir, hash[:2], hash)
}

func (f *Files) thumbPath(hash string) string { return f.path(hash) + ".thumb.jpg" }

// Open opens a stored file (thumb: its thumbnail).
func (f *Files) Open(hash string, thumb bool) (*os.File, error) {
	if len(hash) != 64 || strings.Trim(hash, "0123456789abcdef") != "" {
		return nil, fs.ErrNotExist
	}
	p := f.path(hash)
	if thumb {
		p = f.thumbPath(hash)
	}
	return os.Open(p)
}

// thumbnail decodes a picture only after its header says it is of a sane
// size, and writes a JPEG that fits in ThumbSize. A picture that cannot be
// decoded is kept as a file without a thumbnail.
func (f *Files) thumbnail(hash string) (w, h int, ok bool) {
	src, err := os.Open(f.path(hash))
	if err != nil {
		return 0, 0, false
	}
	defer src.Close()
	cfg, _, err := image.DecodeConfig(src)
	if err != nil || cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width*cfg.Height > MaxPixels {
		return 0, 0, false
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return cfg.Width, cfg.Height, false
	}
	f.decoding <- struct{}{}
	defer func() { <-f.decoding }()
	img, _, err := image.Decode(src)
	if err != nil {
		return cfg.Width, cfg.Height, false
	}
	tw, th := fit(cfg.Width, cfg.Height, ThumbSize)
	dst := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.Draw(dst, dst.Bounds(), image.White, image.Point{}, draw.Src) // transparency shows white
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Over, nil)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85}); err != nil {
		return cfg.Width, cfg.Height, false
	}
	if err := os.WriteFile(f.thumbPath(hash), buf.Bytes(), 0o640); err != nil {
		return cfg.Width, cfg.Height, false
	}
	return cfg.Width, cfg.Height, true
}

// fit scales w×h down (never up) to fit in max×max.
func fit(w, h, max int) (int, int) {
	if w <= max && h <= max {
		return w, h
	}
	if w >= h {
		return max, clampMin(h * max / w)
	}
	return clampMin(w * max / h), max
}

func clampMin(n int) int {
	if n < 1 {
		return 1
	}
	return n
}

// Sweep deletes stored files whose hash keep does not know, leaving files
// younger than grace (an upload whose message is being committed).
func (f *Files) Sweep(keep map[string]bool, grace time.Duration) (int, error) {
	deleted := 0
	cutoff := time.Now().Add(-grace)
	err := filepath.WalkDir(f.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		hash, _, _ := strings.Cut(d.Name(), ".")
		if d.Name() != "" && d.Name()[0] == '.' {
			hash = "" // an upload left by a crash
		}
		if keep[hash] {
			return nil
		}
		info, err := d.Info()
		if err != nil || info.ModTime().After(cutoff) {
			return nil
		}
		if err := os.Remove(p); err == nil {
			deleted++
		}
		return nil
	})
	if err != nil {
		return deleted, fmt.Errorf("attach: sweep: %w", err)
	}
	return deleted, nil
}

// sniff names the file's type from its bytes. Office files that are zip
// archives are told apart by the names in their central directory, which
// is read without expanding anything.
func sniff(f *os.File, size int64, name string) (string, error) {
	head := make([]byte, 512)
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("attach: sniff: %w", err)
	}
	head = head[:n]
	ct, _, _ := strings.Cut(http.DetectContentType(head), ";")
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf":
		return ct, nil
	case "application/zip":
		return zipType(f, size), nil
	case "text/plain":
		// DetectContentType calls SVG and many markups text/plain or
		// text/xml; anything that looks like a tag is not plain text.
		if bytes.ContainsAny(head, "<>") || !utf8.Valid(head[:validPrefix(head)]) {
			return "application/octet-stream", nil
		}
		return ct, nil
	case "application/octet-stream":
		// The old binary office formats share one container (OLE2); the
		// name says which of them it is.
		if bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
			switch strings.ToLower(filepath.Ext(name)) {
			case ".doc":
				return "application/msword", nil
			case ".xls":
				return "application/vnd.ms-excel", nil
			case ".ppt":
				return "application/vnd.ms-powerpoint", nil
			}
		}
	}
	return ct, nil
}

// validPrefix leaves out a multi-byte character cut by the 512-byte head.
func validPrefix(b []byte) int {
	n := len(b)
	for i := 0; i < 3 && n > 0 && !utf8.FullRune(b[n-1-i:]); i++ {
		if utf8.RuneStart(b[n-1-i]) {
			return n - 1 - i
		}
	}
	return n
}

// zipType reads only the central directory: a zip bomb stays compressed.
func zipType(f *os.File, size int64) string {
	z, err := zip.NewReader(f, size)
	if err != nil {
		return "application/zip"
	}
	has := func(prefix string) bool {
		for _, e := range z.File {
			if strings.HasPrefix(e.Name, prefix) {
				return true
			}
		}
		return false
	}
	if !has("[Content_Types].xml") {
		if odf := odfType(z); odf != "" {
			return odf
		}
		return "application/zip"
	}
	switch {
	case has("word/"):
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case has("xl/"):
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case has("ppt/"):
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	}
	return "application/zip"
}

// odfType reads the "mimetype" entry an OpenDocument file starts with; it
// must be stored uncompressed, so reading it expands nothing.
func odfType(z *zip.Reader) string {
	for _, e := range z.File {
		if e.Name != "mimetype" || e.Method != zip.Store || e.UncompressedSize64 > 100 {
			continue
		}
		r, err := e.Open()
		if err != nil {
			return ""
		}
		b, _ := io.ReadAll(io.LimitReader(r, 100))
		r.Close()
		switch t := string(b); t {
		case "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet", "application/vnd.oasis.opendocument.presentation":
			return t
		}
	}
	return ""
}

// cleanName keeps the base of the sender's name without control
// characters, bounded, with the extension of what the file really is.
func cleanName(name, ct string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	ext := Known[ct]
	base := strings.TrimSuffix(name, filepath.Ext(name))
	if strings.EqualFold(filepath.Ext(name), ext) || (ct == "image/jpeg" && strings.EqualFold(filepath.Ext(name), ".jpeg")) {
		ext = filepath.Ext(name)
	}
	if base == "" || base == "." {
		base = "file"
	}
	if r := []rune(base); len(r) > MaxNameLen-len(ext) {
		base = string(r[:MaxNameLen-len(ext)])
	}
	return base + ext
}

// HumanSize writes a byte count as people read it (10 MB).
func HumanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.3g MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.3g KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// CheckTypes refuses a type the sniffer cannot recognise: allowing it
// would allow nothing.
func CheckTypes(types []string) error {
	for _, t := range types {
		if _, ok := Known[t]; !ok {
			return fmt.Errorf("%q is not a type Parley recognises in a file's bytes", t)
		}
	}
	return nil
}
