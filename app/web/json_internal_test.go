package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"parley/app/livechat"
	"parley/app/model"
)

type namesInner struct {
	RegexURL string `json:"regex_url"`
	Action   string `json:"action"`
}

type namesBody struct {
	Body   string                `json:"body"`
	Rules  []namesInner          `json:"rules"`
	Grid   [][]namesInner        `json:"grid"`
	Tags   map[string]namesInner `json:"tags"`
	Raw    json.RawMessage       `json:"raw"`
	Inner  *namesInner           `json:"inner"`
	Number int                   `json:"number"`
}

// TestCheckNames walks bodies the way clients write them: white space
// anywhere, escapes in keys and values, brackets and quotes inside
// strings, nesting through lists, lists of lists and maps.
func TestCheckNames(t *testing.T) {
	for _, tc := range []struct {
		body string
		bad  string // the field named in the error; "" when accepted
	}{
		{`{"body":"hi"}`, ""},
		{` { "body" : "hi" , "number" : -1.5e3 } `, ""},
		{`{"body":"a \"quoted\" {brace} [bracket], \\ \u0022"}`, ""},
		{`{"bo\u0064y":"escaped key"}`, ""},
		{`{"B\u006fdy":"escaped, mis-cased"}`, "Body"},
		{`{"Body":"hi"}`, "Body"},
		{`{"text":"hi"}`, "text"},
		{`{"body":"hi","rules":[{"action":"x"},{"Regex_URL":"/x"}]}`, "rules[1].Regex_URL"},
		{`{"rules":[],"grid":[[],[{"action":"x"},{"actions":"y"}]]}`, "grid[1][1].actions"},
		{`{"tags":{"any key":{"action":"x"},"other":{"regex":"y"}}}`, "tags.other.regex"},
		{`{"raw":{"Anything":[1,{"Goes":true}]},"inner":null}`, ""},
		{`{"inner":{"regex_url":"/a","ACTION":"b"}}`, "inner.ACTION"},
		{`{"number":null,"body":"","rules":null,"tags":{}}`, ""},
	} {
		err := checkNames([]byte(tc.body), reflect.TypeFor[*namesBody]())
		if tc.bad == "" {
			if err != nil {
				t.Errorf(`%s: refused: %v`, tc.body, err)
			}
			continue
		}
		var ae *apiError
		if !errors.As(err, &ae) || ae.Field != tc.bad {
			t.Errorf(`%s: error %v, want one naming %q`, tc.body, err, tc.bad)
		}
	}
	// A bare list of structs, as the rules endpoint takes.
	err := checkNames([]byte(`[{"action":"a"},{"ACTION":"b"}]`), reflect.TypeFor[*[]namesInner]())
	var ae *apiError
	if !errors.As(err, &ae) || ae.Field != "[1].ACTION" {
		t.Errorf(`bare list: error %v, want one naming "[1].ACTION"`, err)
	}
}

func BenchmarkStrictDecode(b *testing.B) {
	body := []byte(`{"body":"Hello, do you ship to Belgium? We need forty machines for the shop.","client_id":"c-7f3a9e"}`)
	b.ReportAllocs()
	for b.Loop() {
		var in struct {
			bodyRequest
			AnswerID int64 `json:"answer_id"`
		}
		if err := strictDecode(body, &in); err != nil {
			b.Fatal(err)
		}
	}
}

// messageAnswer writes what c.JSON writes for the same view, headers
// included, and its pooled buffer does not leak one answer into the next.
func TestMessageAnswerIsWhatJSONWrites(t *testing.T) {
	e := echo.New()
	at := time.Date(2026, 12, 1, 19, 30, 0, 5, time.UTC)
	views := []livechat.MessageView{
		{ID: 7, SessionID: "s1", Author: livechat.AuthorView{Kind: model.AuthorVisitor, Name: "Visitor #1"},
			Body: strings.Repeat("long <body> & more ", 200), ClientID: "c7", CreatedAt: at, Attachments: []livechat.AttachmentView{}},
		{ID: 8, SessionID: "s1", Author: livechat.AuthorView{Kind: model.AuthorOperator, Name: "Ana"},
			Body: "short", CreatedAt: at, Attachments: []livechat.AttachmentView{}},
	}
	for _, v := range views {
		want := httptest.NewRecorder()
		if err := e.NewContext(httptest.NewRequest(http.MethodPost, "/", nil), want).JSON(http.StatusCreated, map[string]any{"message": v}); err != nil {
			t.Fatal(err)
		}
		got := httptest.NewRecorder()
		if err := messageAnswer(e.NewContext(httptest.NewRequest(http.MethodPost, "/", nil), got), http.StatusCreated, v); err != nil {
			t.Fatal(err)
		}
		if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Body.String() != want.Body.String() {
			t.Fatalf("messageAnswer: %d %q\n%s\nc.JSON: %d %q\n%s", got.Code, got.Header().Get("Content-Type"), got.Body,
				want.Code, want.Header().Get("Content-Type"), want.Body)
		}
	}
}

// strictDecode's refusals, one per kind, in the order a client reads them:
// bad syntax, then a misspelt or unknown name (even beside a wrong type),
// then a wrong type.
func TestStrictDecodeRefusals(t *testing.T) {
	type body struct {
		Body  string `json:"body"`
		Count int    `json:"count"`
	}
	for _, tc := range []struct {
		data, field, says string
	}{
		{`{"body":`, "", "The body is not valid JSON: unexpected EOF"},
		{`{"body":"a",}`, "", "The body is not valid JSON: invalid character '}'"},
		{`{"body":"a"} {"body":"b"}`, "", "The body must hold one JSON value."},
		{`{"Body":"a","count":"x"}`, "Body", `did you mean "body"`},
		{`{"count":"x","text":"a"}`, "text", `Unknown field "text"`},
		{`{"body":"a","count":"x"}`, "count", `Field "count" has the wrong type: want int.`},
	} {
		var v body
		err := strictDecode([]byte(tc.data), &v)
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status != http.StatusBadRequest || ae.Code != "invalid_json" || ae.Field != tc.field || !strings.Contains(ae.Error(), tc.says) {
			t.Errorf("%s: %#v (%v), want 400 invalid_json on %q saying %q", tc.data, ae, err, tc.field, tc.says)
		}
	}
	var v body
	if err := strictDecode([]byte(` {"body":"hi","count":2} `), &v); err != nil || v != (body{"hi", 2}) {
		t.Fatalf("valid body: %v, %+v", err, v)
	}
}
