package attach_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"parley/app/attach"
	"parley/app/model"
)

// hugePNG is a valid PNG header claiming width×height pixels, with no
// image data: decoding it would allocate gigabytes.
func hugePNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6 // 8 bits, RGBA
	binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

func TestPictureBombGetsNoThumbnail(t *testing.T) {
	f := attach.New(t.TempDir(), attach.DefaultMaxBytes, attach.DefaultTypes)
	a, err := f.Put("bomb.png", bytes.NewReader(hugePNG(100000, 100000)))
	if err != nil {
		t.Fatal(err)
	}
	if a.ContentType != "image/png" || a.Thumbnail || a.Width != 0 {
		t.Fatalf(`a picture of 10^10 pixels: %+v, want stored without a thumbnail`, a)
	}
}

func TestThumbnailFits(t *testing.T) {
	f := attach.New(t.TempDir(), attach.DefaultMaxBytes, attach.DefaultTypes)
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 100, 1000)))
	a, err := f.Put("tall.png", &b)
	if err != nil || !a.Thumbnail || a.Width != 100 || a.Height != 1000 {
		t.Fatalf(`%+v %v`, a, err)
	}
	r, err := f.Open(a.Hash, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cfg, _, err := image.DecodeConfig(r)
	if err != nil || cfg.Width != 32 || cfg.Height != 320 {
		t.Fatalf(`thumbnail %+v %v, want 32×320`, cfg, err)
	}
	if _, err := f.Open("../../etc/passwd", false); err == nil {
		t.Fatal(`a path that is no hash opened a file`)
	}
}

func TestNamesAndTypes(t *testing.T) {
	f := attach.New(t.TempDir(), attach.DefaultMaxBytes, append([]string{"text/plain"}, attach.DefaultTypes...))
	for _, c := range []struct {
		name, content, wantName, wantType string
	}{
		{"notes.txt", "plain words, no tags", "notes.txt", "text/plain"},
		{"../../evil\x00name.txt", "hello", "evilname.txt", "text/plain"},
		{"photo.jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "photo.jpeg", "image/jpeg"},
		{"old.doc", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + string(make([]byte, 100)), "old.doc", "application/msword"},
		{"", "%PDF-1.7 x", "file.pdf", "application/pdf"},
	} {
		a, err := f.Put(c.name, bytes.NewReader([]byte(c.content)))
		if err != nil || a.Name != c.wantName || a.ContentType != c.wantType {
			t.Errorf(`%q: %+v %v, want %q %q`, c.name, a, err, c.wantName, c.wantType)
		}
	}
	// Markup is never plain text, whatever its name.
	var fe *model.FieldError
	if _, err := f.Put("page.txt", bytes.NewReader([]byte("hi <b onmouseover=x>"))); !errors.As(err, &fe) || fe != attach.ErrType {
		t.Errorf(`markup as text: %v`, err)
	}
	if err := attach.CheckTypes([]string{"image/svg+xml"}); err == nil {
		t.Error(`a type the sniffer cannot tell was accepted`)
	}
}

func TestSweepKeepsUsedAndYoungFiles(t *testing.T) {
	dir := t.TempDir()
	f := attach.New(dir, attach.DefaultMaxBytes, attach.DefaultTypes)
	used, _ := f.Put("a.pdf", bytes.NewReader([]byte("%PDF-1.4 used")))
	gone, _ := f.Put("b.pdf", bytes.NewReader([]byte("%PDF-1.4 gone")))
	young, _ := f.Put("c.pdf", bytes.NewReader([]byte("%PDF-1.4 young")))
	old := time.Now().Add(-2 * time.Hour)
	for _, h := range []string{used.Hash, gone.Hash} {
		os.Chtimes(filepath.Join(dir, h[:2], h), old, old)
	}
	n, err := f.Sweep(map[string]bool{used.Hash: true}, time.Hour)
	if err != nil || n != 1 {
		t.Fatalf(`swept %d (%v), want 1`, n, err)
	}
	for h, want := range map[string]bool{used.Hash: true, gone.Hash: false, young.Hash: true} {
		if _, err := os.Stat(filepath.Join(dir, h[:2], h)); (err == nil) != want {
			t.Errorf(`%s present = %v, want %v`, h[:8], err == nil, want)
		}
	}
}
