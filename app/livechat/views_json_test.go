package livechat

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"testing"
	"time"

	"parley/app/model"
	"parley/app/realtime"
)

// The hub frames a view by appending it, not through encoding/json.
var _ realtime.JSONAppender = MessageView{}

// plainMessageView has MessageView's fields and tags but not its methods,
// so encoding/json writes it by reflection: the output AppendJSON must match.
type plainMessageView MessageView

func checkMessageJSON(t *testing.T, v MessageView) {
	t.Helper()
	want, wantErr := json.Marshal(plainMessageView(v))
	got, err := v.AppendJSON([]byte("prefix"))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("AppendJSON error %v, encoding/json error %v", err, wantErr)
	}
	if err != nil {
		return
	}
	if !bytes.HasPrefix(got, []byte("prefix")) || !bytes.Equal(got[len("prefix"):], want) {
		t.Fatalf("AppendJSON wrote\n%s\nencoding/json writes\n%s", got, want)
	}
	// Through encoding/json (frames, lists) the method gives the same bytes.
	via, err := json.Marshal(map[string]any{"message": v})
	if err != nil {
		t.Fatal(err)
	}
	if wantVia := `{"message":` + string(want) + `}`; string(via) != wantVia {
		t.Fatalf("through encoding/json:\n%s\nwant\n%s", via, wantVia)
	}
}

func TestMessageViewJSONMatchesEncodingJSON(t *testing.T) {
	// A field added to the view must be added to AppendJSON too; the
	// cases below then need one that sets it.
	if n := reflect.TypeFor[MessageView]().NumField(); n != 10 {
		t.Fatalf("MessageView has %d fields; AppendJSON writes 10: update it and this test", n)
	}
	at := time.Date(2026, 12, 1, 19, 4, 5, 123456789, time.UTC)
	step := &model.StepView{Type: model.StepType("question"), Answers: []model.AnswerView{{ID: 3, Label: "Yes <please>", RedirectLink: "https://example.com/?a=1&b=2"}}}
	cases := map[string]MessageView{
		"visitor message": {ID: 42, SessionID: "s-Ab_9", Author: AuthorView{Kind: model.AuthorVisitor, Name: "Visitor #7"},
			Body: "Hello, is anyone there?", ClientID: "c-1", CreatedAt: at, Attachments: []AttachmentView{}},
		"nil attachments and zero values": {},
		"escapes": {ID: -9, SessionID: `"quoted" \ back`, Author: AuthorView{Kind: model.AuthorOperator, Name: "<b>Ana</b> & Co"},
			Body:      "tab\tnew\nline\rcr\bbs\fff\x00\x01\x1f\x7f del\u2028ls\u2029ps é ñ 漢字 🎉 \xff\xfe bad utf-8 \xe2\x82",
			CreatedAt: at.In(time.FixedZone("", -5*3600))},
		"internal note with notice, step and attachments": {ID: math.MaxInt64, SessionID: "s", Author: AuthorView{Kind: model.AuthorSystem},
			Body: "Ana joined", Notice: &model.Notice{Code: "joined", Args: map[string]string{"name": "Ana <3", "b": "x"}},
			Internal: true, CreatedAt: at, Step: step,
			Attachments: []AttachmentView{{ID: 1, Name: "a<b>.png", Size: 10, ContentType: "image/png", URL: "/u/1", ThumbnailURL: "/u/1/t", Width: 3, Height: 4},
				{ID: 2, Name: "b.pdf", ContentType: "application/pdf", URL: "/u/2"}}},
		"smallest id":       {ID: math.MinInt64, CreatedAt: at},
		"year out of range": {ID: 1, CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for name, v := range cases {
		t.Run(name, func(t *testing.T) { checkMessageJSON(t, v) })
	}
}

func FuzzMessageViewJSON(f *testing.F) {
	f.Add(int64(1), "s", "visitor", "Visitor", "hi", "c", false, int64(0))
	f.Add(int64(-3), "\u2028", "operator", "<&>", "\xff\x00\"\\", "", true, int64(1e18))
	f.Fuzz(func(t *testing.T, id int64, session, kind, name, body, client string, internal bool, nanos int64) {
		checkMessageJSON(t, MessageView{ID: id, SessionID: session, Author: AuthorView{Kind: model.AuthorKind(kind), Name: name},
			Body: body, ClientID: client, Internal: internal, CreatedAt: time.Unix(0, nanos).UTC()})
	})
}
