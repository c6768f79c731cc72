package web

import (
	"net/url"
	"testing"
	"time"
)

func TestRedactURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/im_livechat/ws?token=pv_secret", "/im_livechat/ws?token=REDACTED"},
		{"/setup?token=abc&x=1", "/setup?token=REDACTED&x=1"},
		{"/admin/sessions?status=open", "/admin/sessions?status=open"},
		{"/login", "/login"},
	}
	for _, tt := range tests {
		u, _ := url.Parse(tt.in)
		if got := redactURI(u); got != tt.want {
			t.Errorf(`redactURI(%q) = %q, want %q`, tt.in, got, tt.want)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "—"},
		{400 * time.Millisecond, "< 1 s"},
		{42 * time.Second, "42 s"},
		{4*time.Minute + 5*time.Second, "4 min 05 s"},
		{62 * time.Minute, "1 h 02 min"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.in); got != tt.want {
			t.Errorf(`humanDuration(%v) = %q, want %q`, tt.in, got, tt.want)
		}
	}
}
