package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/config"
	"parley/app/model"
)

// upload posts a file as a multipart form and decodes the answer.
func upload(t *testing.T, srv *apptest.Server, path, bearer, name string, content []byte) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest("POST", srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

// uploadWithID uploads with a client_id and wants 200 or 201.
func uploadWithID(t *testing.T, srv *apptest.Server, path, bearer, name string, content []byte, clientID string) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	w.WriteField("client_id", clientID)
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(content)
	w.Close()
	req, _ := http.NewRequest("POST", srv.URL+path, &buf)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+bearer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusCreated && res.StatusCode != http.StatusOK {
		t.Fatalf(`upload %s: %d %v`, name, res.StatusCode, body)
	}
	return body
}

// download fetches a file with a bearer token.
func download(t *testing.T, srv *apptest.Server, path, bearer string) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func pngBytes(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 200, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func attachmentOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	m, _ := body["message"].(map[string]any)
	as, _ := m["attachments"].([]any)
	if len(as) != 1 {
		t.Fatalf(`want one attachment: %v`, body)
	}
	return as[0].(map[string]any)
}

func TestAttachmentsBothWays(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	tok := token(t, srv, admin)
	pic := pngBytes(t, 800, 600)

	// The visitor sends a picture: stored by its bytes, with a thumbnail.
	code, body := upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "photo.png", pic)
	if code != http.StatusCreated {
		t.Fatalf(`visitor upload: %d %v`, code, body)
	}
	a := attachmentOf(t, body)
	if a["name"] != "photo.png" || a["content_type"] != "image/png" || a["size"].(float64) != float64(len(pic)) ||
		a["url"] != "/im_livechat/sessions/"+sid+"/attachments/"+jsonID(a["id"]) || a["thumbnail_url"] != a["url"].(string)+"/thumbnail" {
		t.Fatalf(`attachment view: %v`, a)
	}
	code, h, got := download(t, srv, a["url"].(string), vtok)
	if code != http.StatusOK || !bytes.Equal(got, pic) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "inline") || !strings.Contains(h.Get("Content-Disposition"), `filename=photo.png`) {
		t.Fatalf(`visitor download: %d %v (%d bytes)`, code, h, len(got))
	}
	code, h, got = download(t, srv, a["thumbnail_url"].(string), vtok)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(got))
	if code != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || err != nil || cfg.Width != 320 || cfg.Height != 240 {
		t.Fatalf(`thumbnail: %d %v %v %+v`, code, h, err, cfg)
	}

	// The operator sees it through their API, with URLs of that API.
	_, _, list := call(t, srv, "GET", "/api/v1/sessions/"+sid+"/messages", tok, "")
	ms := list["messages"].([]any)
	oa := ms[len(ms)-1].(map[string]any)["attachments"].([]any)[0].(map[string]any)
	if oa["url"] != "/api/v1/sessions/"+sid+"/attachments/"+jsonID(a["id"]) {
		t.Fatalf(`operator view: %v`, oa)
	}
	if code, _, got := download(t, srv, oa["thumbnail_url"].(string), tok); code != http.StatusOK || len(got) == 0 {
		t.Fatalf(`operator thumbnail: %d`, code)
	}

	// The admin's transcript page shows the thumbnail, served with the cookie.
	web := srv.NewClient(t)
	web.Login("ada@example.com")
	thumb := "/admin/api/sessions/" + sid + "/attachments/" + jsonID(a["id"]) + "/thumbnail"
	if res, page := web.Get("/admin/sessions/" + sid); res.StatusCode != http.StatusOK || !strings.Contains(page, `src="`+thumb+`"`) {
		t.Fatalf(`transcript page lacks the thumbnail: %d`, res.StatusCode)
	}
	if res, _ := web.Get(thumb); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf(`admin thumbnail: %d %v`, res.StatusCode, res.Header)
	}

	// The operator sends a PDF; the visitor downloads it as an attachment.
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	code, body = upload(t, srv, "/api/v1/sessions/"+sid+"/attachments", tok, "quote.pdf", pdf)
	if code != http.StatusCreated {
		t.Fatalf(`operator upload: %d %v`, code, body)
	}
	pa := attachmentOf(t, body)
	if pa["content_type"] != "application/pdf" || pa["thumbnail_url"] != nil {
		t.Fatalf(`pdf view: %v`, pa)
	}
	vu := "/im_livechat/sessions/" + sid + "/attachments/" + jsonID(pa["id"])
	code, h, got = download(t, srv, vu, vtok)
	if code != http.StatusOK || !bytes.Equal(got, pdf) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Fatalf(`pdf download: %d %v`, code, h)
	}

	// A retried upload (same client_id) answers with the message stored
	// the first time, its file included.
	first := uploadWithID(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "retry.pdf", pdf, "c-1")
	again := uploadWithID(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "retry.pdf", pdf, "c-1")
	if attachmentOf(t, again)["id"] != attachmentOf(t, first)["id"] || again["message"].(map[string]any)["id"] != first["message"].(map[string]any)["id"] {
		t.Fatalf(`retry: %v, first %v`, again, first)
	}

	// The same bytes twice are stored once.
	upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "again.png", pic)
	if n := countFiles(t, srv); n != 3 { // picture, its thumbnail, the PDF
		t.Fatalf(`%d files stored, want 3`, n)
	}
}

func jsonID(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func countFiles(t *testing.T, srv *apptest.Server) int {
	t.Helper()
	n := 0
	filepath.WalkDir(filepath.Join(srv.Config.DataDir, "attachments"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// A zip whose entry claims to expand to a terabyte: only its directory may
// ever be read.
func zipBomb(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	if w, err := z.Create("[Content_Types].xml"); err == nil {
		w.Write([]byte(`<Types/>`))
	}
	w, err := z.CreateRaw(&zip.FileHeader{Name: "word/document.xml", Method: zip.Deflate, CompressedSize64: 4, UncompressedSize64: 1 << 40, CRC32: 0})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{0x63, 0x60, 0x18, 0x05})
	z.Close()
	return buf.Bytes()
}

func TestAttachmentBadInput(t *testing.T) {
	srv := apptest.NewServer(t, apptest.WithConfig(func(c *config.Config) { c.Attachments.MaxBytes = 64 << 10 }))
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	path := "/im_livechat/sessions/" + sid + "/attachments"

	for _, c := range []struct {
		what, name string
		content    []byte
		code       int
		errCode    string
	}{
		{"a .png that is HTML", "cat.png", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), http.StatusUnsupportedMediaType, "file_type"},
		{"SVG with a script", "logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), http.StatusUnsupportedMediaType, "file_type"},
		{"SVG named .png", "logo.png", []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), http.StatusUnsupportedMediaType, "file_type"},
		{"an executable", "setup.pdf", []byte("MZ\x90\x00\x03\x00\x00\x00"), http.StatusUnsupportedMediaType, "file_type"},
		{"too large", "big.pdf", append([]byte("%PDF-1.4\n"), make([]byte, 64<<10)...), http.StatusRequestEntityTooLarge, "file_too_large"},
		{"empty", "nothing.pdf", nil, http.StatusUnprocessableEntity, "invalid_file"},
	} {
		code, body := upload(t, srv, path, vtok, c.name, c.content)
		if code != c.code || body["code"] != c.errCode || body["error"] == "" {
			t.Errorf(`%s: %d %v, want %d %s`, c.what, code, body, c.code, c.errCode)
		}
	}
	if code, _, body := call(t, srv, "POST", path, vtok, `{"body":"no file"}`); code != http.StatusBadRequest || body["code"] != "invalid_file" {
		t.Errorf(`no file: %d %v`, code, body)
	}
	if n := countFiles(t, srv); n != 0 {
		t.Errorf(`refused uploads left %d files`, n)
	}

	// A zip bomb dressed as a Word file is stored as it came, never expanded.
	bomb := zipBomb(t)
	code, body := upload(t, srv, path, vtok, "report.docx", bomb)
	if code != http.StatusCreated {
		t.Fatalf(`docx: %d %v`, code, body)
	}
	a := attachmentOf(t, body)
	if a["content_type"] != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" || a["size"].(float64) != float64(len(bomb)) {
		t.Fatalf(`docx view: %v`, a)
	}
	if code, h, got := download(t, srv, a["url"].(string), vtok); code != http.StatusOK || !bytes.Equal(got, bomb) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf(`docx download: %d %v`, code, h)
	}

	// A picture named .html is a picture, and its name says so.
	code, body = upload(t, srv, path, vtok, "evil.html", pngBytes(t, 10, 10))
	if a := attachmentOf(t, body); code != http.StatusCreated || a["name"] != "evil.png" || a["content_type"] != "image/png" {
		t.Fatalf(`renamed picture: %d %v`, code, body)
	}
}

func TestAttachmentAccess(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	otherTok, otherSid := startChat(t, srv, admin, "en")
	code, body := upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "photo.png", pngBytes(t, 40, 40))
	if code != http.StatusCreated {
		t.Fatalf(`upload: %d %v`, code, body)
	}
	a := attachmentOf(t, body)
	url := a["url"].(string)

	// Another visitor can neither read it nor post into this conversation.
	if code, _, _ := download(t, srv, url, otherTok); code != http.StatusNotFound {
		t.Errorf(`other visitor read: %d`, code)
	}
	if code, _, _ := download(t, srv, url, ""); code != http.StatusUnauthorized && code != http.StatusNotFound {
		t.Errorf(`anonymous read: %d`, code)
	}
	if code, body := upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", otherTok, "x.png", pngBytes(t, 4, 4)); code != http.StatusNotFound {
		t.Errorf(`upload to someone else's session: %d %v`, code, body)
	}
	// Its id under the other visitor's own session is not found either.
	if code, _, _ := download(t, srv, "/im_livechat/sessions/"+otherSid+"/attachments/"+jsonID(a["id"]), otherTok); code != http.StatusNotFound {
		t.Errorf(`attachment through another session: %d`, code)
	}

	// An operator who is not in the conversation does not see it; the
	// admin does.
	olga := srv.CreateUser(t, "olga@example.com", "Olga", model.RoleOperator)
	opURL := "/api/v1/sessions/" + sid + "/attachments/" + jsonID(a["id"])
	if code, _, _ := download(t, srv, opURL, token(t, srv, olga)); code != http.StatusNotFound {
		t.Errorf(`other operator: %d`, code)
	}
	if code, body := upload(t, srv, "/api/v1/sessions/"+sid+"/attachments", token(t, srv, olga), "x.png", pngBytes(t, 4, 4)); code != http.StatusNotFound {
		t.Errorf(`other operator upload: %d %v`, code, body)
	}
	if code, _, _ := download(t, srv, opURL, token(t, srv, admin)); code != http.StatusOK {
		t.Errorf(`admin: %d`, code)
	}

	// A conversation that ended takes no more files; its files stay readable.
	call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/close", vtok, "")
	if code, body := upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "late.png", pngBytes(t, 4, 4)); code != http.StatusConflict || body["code"] != "session_closed" {
		t.Errorf(`upload to an ended conversation: %d %v`, code, body)
	}
	if code, _, _ := download(t, srv, url, vtok); code != http.StatusOK {
		t.Errorf(`file of an ended conversation: %d`, code)
	}
}

func TestRetentionDeletesAttachments(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	if code, body := upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "photo.png", pngBytes(t, 400, 400)); code != http.StatusCreated {
		t.Fatalf(`upload: %d %v`, code, body)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/close", vtok, ""); code != http.StatusOK {
		t.Fatalf(`close: %d %v`, code, body)
	}
	if n := countFiles(t, srv); n != 2 {
		t.Fatalf(`%d files before retention, want the picture and its thumbnail`, n)
	}
	// The conversation and its files are 40 days old.
	old := time.Now().Add(-40 * 24 * time.Hour)
	if _, err := srv.Store.Writer().Exec(`UPDATE chat_sessions SET created_at = ?, last_message_at = ?`, old.UnixMilli(), old.UnixMilli()); err != nil {
		t.Fatal(err)
	}
	filepath.WalkDir(filepath.Join(srv.Config.DataDir, "attachments"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			os.Chtimes(p, old, old)
		}
		return nil
	})
	if _, err := srv.Livechat.ApplyRetention(context.Background(), 30, "anonymise"); err != nil {
		t.Fatal(err)
	}
	if n := countFiles(t, srv); n != 0 {
		t.Fatalf(`%d files left after retention`, n)
	}
}

func TestTranscriptMailLinksAttachments(t *testing.T) {
	srv, smtp := mailServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	vtok, sid := startChat(t, srv, admin, "en")
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	if code, body := upload(t, srv, "/api/v1/sessions/"+sid+"/attachments", token(t, srv, admin), "quote.pdf", pdf); code != http.StatusCreated {
		t.Fatalf(`upload: %d %v`, code, body)
	}
	if code, _, body := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/transcript", vtok, `{"email":"bo@example.com"}`); code != http.StatusAccepted {
		t.Fatalf(`transcript: %d %v`, code, body)
	}
	p := smtp.Wait(1)[0].Parse(t)
	i := strings.Index(p.Text, "quote.pdf: "+srv.URL+"/im_livechat/files/")
	if i < 0 || !strings.Contains(p.HTML, ">quote.pdf</a>") {
		t.Fatalf(`the mail does not link the file:\n%s`, p.Text)
	}
	link := strings.Fields(p.Text[i+len("quote.pdf: "):])[0]
	path := strings.TrimPrefix(link, srv.URL)
	if code, h, got := download(t, srv, path, ""); code != http.StatusOK || !bytes.Equal(got, pdf) || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Fatalf(`mailed link: %d %v`, code, h)
	}
	// A forged signature opens nothing.
	forged := path[:len(path)-1] + "A"
	if strings.HasSuffix(path, "A") {
		forged = path[:len(path)-1] + "B"
	}
	if code, _, _ := download(t, srv, forged, ""); code != http.StatusNotFound {
		t.Fatalf(`forged link: %d`, code)
	}
}
