package web

import (
	"net/url"
	"testing"
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
