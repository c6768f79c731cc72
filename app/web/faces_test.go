package web_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// bombPNG is a valid PNG header claiming 60000×60000 pixels: decoding it
// would take gigabytes; its header alone must get it refused.
func bombPNG(t *testing.T) []byte {
	t.Helper()
	b := pngOf(t, 1, 1)
	// IHDR's width and height follow the 8-byte signature, the chunk length and type.
	copy(b[16:24], []byte{0, 0, 0xea, 0x60, 0, 0, 0xea, 0x60})
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	return b
}

func uploadPicture(t *testing.T, c *apptest.Client, path, field, name string, data []byte) (*http.Response, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("_csrf", c.CSRF)
	fw, _ := w.CreateFormFile(field, name)
	_, _ = fw.Write(data)
	w.Close()
	return c.Do("POST", path, &b, map[string]string{"Content-Type": w.FormDataContentType()})
}

// TestFacesUpload: an operator's photo and a channel's image are cropped
// square, resized, served under their content hash with a year's cache,
// and the widget's addresses lead there; non-images, oversized files and
// decompression bombs are refused with 4xx and change nothing.
func TestFacesUpload(t *testing.T) {
	srv := apptest.NewServer(t)
	c, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()

	// Refusals first: nothing is stored.
	for _, bad := range []struct {
		what string
		data []byte
		want string
	}{
		{"html disguised as png", []byte("<html><script>alert(1)</script></html>"), "The picture must be a PNG, JPEG or GIF image."},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "The picture must be a PNG, JPEG or GIF image."},
		{"empty", []byte{}, "Choose a picture to upload."},
		{"bomb", bombPNG(t), "at most 8000 × 8000 pixels"},
		{"too many bytes", append(pngOf(t, 4, 4), make([]byte, 800<<10)...), "The picture is too large: at most 768 KB."},
	} {
		res, body := uploadPicture(t, c, "/admin/profile/photo", "photo", "me.png", bad.data)
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, bad.want) {
			t.Errorf(`%s: %d, body lacks %q: %.300s`, bad.what, res.StatusCode, bad.want, body)
		}
	}
	if _, _, err := srv.Livechat.OperatorPhoto(ctx, ada.ID); err == nil {
		t.Fatal(`a refused upload was stored`)
	}
	res, body := c.Get(fmt.Sprintf("/im_livechat/operator/%d/avatar", ada.ID))
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Type"), "image/svg+xml") || !strings.Contains(body, ">A<") {
		t.Fatalf(`avatar without a photo: %d %s`, res.StatusCode, res.Header.Get("Content-Type"))
	}

	// A wide picture becomes a 256×256 JPEG at its hashed address.
	res, _ = uploadPicture(t, c, "/admin/profile/photo", "photo", "me.png", pngOf(t, 600, 300))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`photo upload: %d`, res.StatusCode)
	}
	_, hash, err := srv.Livechat.OperatorPhoto(ctx, ada.ID)
	if err != nil || hash == "" {
		t.Fatalf(`stored photo: %q %v`, hash, err)
	}
	res, _ = c.Get(fmt.Sprintf("/im_livechat/operator/%d/avatar", ada.ID))
	if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || !strings.HasSuffix(loc, fmt.Sprintf("/im_livechat/operator/%d/avatar/%s", ada.ID, hash)) {
		t.Fatalf(`avatar with a photo: %d → %q`, res.StatusCode, loc)
	}
	res, body = c.Get(fmt.Sprintf("/im_livechat/operator/%d/avatar/%s", ada.ID, hash))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" || !strings.Contains(res.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Fatalf(`hashed photo: %d %s %s`, res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Cache-Control"))
	}
	img, err := jpeg.Decode(strings.NewReader(body))
	if err != nil || img.Bounds().Dx() != 256 || img.Bounds().Dy() != 256 {
		t.Fatalf(`served photo: %v %v`, err, img)
	}
	// A stale hash leads to the current picture, never to old bytes.
	res, _ = c.Get(fmt.Sprintf("/im_livechat/operator/%d/avatar/0000000000000000", ada.ID))
	if res.StatusCode != http.StatusFound {
		t.Fatalf(`stale hash: %d`, res.StatusCode)
	}

	// The channel's image: in init, at its hashed address; operators may not set it.
	id := defaultChannelID(t, srv)
	res, _ = uploadPicture(t, c, fmt.Sprintf("/admin/channels/%d/image", id), "image", "logo.png", []byte("GIF89a but not really"))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf(`junk channel image: %d`, res.StatusCode)
	}
	res, _ = uploadPicture(t, c, fmt.Sprintf("/admin/channels/%d/image", id), "image", "logo.png", pngOf(t, 100, 140))
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`channel image: %d`, res.StatusCode)
	}
	res, body = c.Get(fmt.Sprintf("/im_livechat/init?channel_id=%d&url=%s", id, "https%3A%2F%2Fshop.example%2F"))
	expect(t, "init", res, body, 200, fmt.Sprintf(`/im_livechat/channel/%d/image/`, id))
	_, chash, _ := srv.Livechat.ChannelImage(ctx, id)
	res, _ = c.Get(fmt.Sprintf("/im_livechat/channel/%d/image/%s", id, chash))
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf(`channel image served: %d`, res.StatusCode)
	}
	bob, _ := srv.LoggedIn(t, "bob@example.com", model.RoleOperator)
	res, _ = uploadPicture(t, bob, fmt.Sprintf("/admin/channels/%d/image", id), "image", "logo.png", pngOf(t, 10, 10))
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf(`operator sets the channel image: %d`, res.StatusCode)
	}
}

// TestFacesFiles: faces are files under the data directory named by their
// hash, the database holding only the hash; they are served after a
// restart, a replaced one's file goes, and faces an older version kept in
// the database move to files at start without losing a byte.
func TestFacesFiles(t *testing.T) {
	srv := apptest.NewServer(t)
	c, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()
	dir := filepath.Join(srv.Config.DataDir, "faces")
	db := srv.Store.Writer()

	if res, _ := uploadPicture(t, c, "/admin/profile/photo", "photo", "me.png", pngOf(t, 300, 300)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`photo upload: %d`, res.StatusCode)
	}
	var blob []byte
	var first string
	if err := db.QueryRow(`SELECT photo, photo_hash FROM users WHERE id = ?`, ada.ID).Scan(&blob, &first); err != nil || blob != nil || len(first) != 16 {
		t.Fatalf(`users row: %d bytes, hash %q, %v; want only the hash`, len(blob), first, err)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, first+".jpg"))
	if err != nil {
		t.Fatalf(`the photo's file: %v`, err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(onDisk)); err != nil {
		t.Fatalf(`the photo's file is no JPEG: %v`, err)
	}

	srv.Restart(t)
	photoURL := fmt.Sprintf("/im_livechat/operator/%d/avatar/%s", ada.ID, first)
	if res, body := c.Get(photoURL); res.StatusCode != 200 || body != string(onDisk) {
		t.Fatalf(`photo after a restart: %d, %d bytes (want the file's %d)`, res.StatusCode, len(body), len(onDisk))
	}

	// A new photo: the old file goes once it is older than an upload in
	// flight may be.
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, first+".jpg"), old, old); err != nil {
		t.Fatal(err)
	}
	if res, _ := uploadPicture(t, c, "/admin/profile/photo", "photo", "me.png", pngOf(t, 64, 90)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`second upload: %d`, res.StatusCode)
	}
	_, second, err := srv.Livechat.OperatorPhoto(ctx, ada.ID)
	if err != nil || second == first {
		t.Fatalf(`second photo: %q %v`, second, err)
	}
	if _, err := os.Stat(filepath.Join(dir, first+".jpg")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf(`the replaced photo's file is still there: %v`, err)
	}
	if _, err := os.Stat(filepath.Join(dir, second+".jpg")); err != nil {
		t.Errorf(`the new photo's file: %v`, err)
	}

	// A database from before: a channel image and a photo as BLOBs (the
	// photo with a hash of another picture), the files unknown.
	var legacy bytes.Buffer
	if err := jpeg.Encode(&legacy, image.NewGray(image.Rect(0, 0, 256, 256)), nil); err != nil {
		t.Fatal(err)
	}
	bob := srv.CreateUser(t, "bob@example.com", "Bob", model.RoleOperator)
	ch := defaultChannelID(t, srv)
	if _, err := db.Exec(`UPDATE channels SET image = ?, image_hash = 'aaaaaaaaaaaaaaaa' WHERE id = ?`, legacy.Bytes(), ch); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE users SET photo = ?, photo_hash = 'bbbbbbbbbbbbbbbb' WHERE id = ?`, onDisk, bob.ID); err != nil {
		t.Fatal(err)
	}
	srv.Restart(t)
	var left int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM users WHERE photo IS NOT NULL) + (SELECT count(*) FROM channels WHERE image IS NOT NULL)`).Scan(&left); err != nil || left != 0 {
		t.Fatalf(`%d faces left in the database: %v`, left, err)
	}
	for _, f := range []struct {
		what, url string
		want      []byte
	}{
		{"the channel image", fmt.Sprintf("/im_livechat/channel/%d/image/", ch), legacy.Bytes()},
		{"Bob's photo", fmt.Sprintf("/im_livechat/operator/%d/avatar/", bob.ID), onDisk},
	} {
		var got string
		q := `SELECT image_hash FROM channels WHERE id = ?`
		id := ch
		if strings.Contains(f.url, "operator") {
			q, id = `SELECT photo_hash FROM users WHERE id = ?`, bob.ID
		}
		if err := db.QueryRow(q, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, got+".jpg")); err != nil {
			t.Errorf(`%s's file: %v`, f.what, err)
		}
		if res, body := c.Get(f.url + got); res.StatusCode != 200 || body != string(f.want) {
			t.Errorf(`%s after the move: %d, %d bytes, want %d`, f.what, res.StatusCode, len(body), len(f.want))
		}
	}
	if _, hash, err := srv.Livechat.OperatorPhoto(ctx, bob.ID); err != nil || hash != first {
		t.Errorf(`Bob's photo has hash %q (%v), want %q: the hash of its bytes, which are Ada's first photo`, hash, err, first)
	}
}

// A database restored without data_dir/faces names pictures whose files
// are gone: the operator shows with the generated avatar and the channel
// with no image, instead of errors on every page that shows them.
func TestFacesMissingFiles(t *testing.T) {
	srv := apptest.NewServer(t)
	c, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ch := defaultChannelID(t, srv)
	if res, _ := uploadPicture(t, c, "/admin/profile/photo", "photo", "me.png", pngOf(t, 120, 120)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`photo upload: %d`, res.StatusCode)
	}
	if res, _ := uploadPicture(t, c, fmt.Sprintf("/admin/channels/%d/image", ch), "image", "logo.png", pngOf(t, 120, 120)); res.StatusCode != http.StatusSeeOther {
		t.Fatalf(`image upload: %d`, res.StatusCode)
	}
	var photo, image string
	if err := srv.Store.Writer().QueryRow(`SELECT (SELECT photo_hash FROM users WHERE id = ?), (SELECT image_hash FROM channels WHERE id = ?)`, ada.ID, ch).Scan(&photo, &image); err != nil || photo == "" || image == "" {
		t.Fatalf(`hashes %q %q: %v`, photo, image, err)
	}
	if err := os.RemoveAll(filepath.Join(srv.Config.DataDir, "faces")); err != nil {
		t.Fatal(err)
	}
	stable := fmt.Sprintf("/im_livechat/operator/%d/avatar", ada.ID)
	res, body := c.Get(stable)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/svg+xml" || !strings.Contains(body, "<svg") {
		t.Errorf(`avatar without its file: %d %s, want the generated SVG`, res.StatusCode, res.Header.Get("Content-Type"))
	}
	noRedirect := *c.Client
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	r, err := noRedirect.Get(srv.URL + stable + "/" + photo)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusFound || !strings.HasSuffix(r.Header.Get("Location"), stable) {
		t.Errorf(`the photo's hashed address without its file: %d to %q, want a redirect to %s`, r.StatusCode, r.Header.Get("Location"), stable)
	}
	if res, _ := c.Get(fmt.Sprintf("/im_livechat/channel/%d/image/%s", ch, image)); res.StatusCode != http.StatusNotFound {
		t.Errorf(`channel image without its file: %d, want 404`, res.StatusCode)
	}
}
