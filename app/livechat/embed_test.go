package livechat_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"parley/app/livechat"
	"parley/app/model"
)

func TestNormalizeDomains(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", []string{"", "  "}, nil},
		{"exact", []string{"shop.example.com"}, []string{"shop.example.com"}},
		{"case and spaces", []string{"  Shop.Example.COM  "}, []string{"shop.example.com"}},
		{"trailing dot", []string{"shop.example.com."}, []string{"shop.example.com"}},
		{"wildcard", []string{"*.example.com"}, []string{"*.example.com"}},
		{"pasted URL", []string{"https://shop.example.com/path?q=1#top"}, []string{"shop.example.com"}},
		{"pasted URL with port", []string{"http://shop.example.com:8080/"}, []string{"shop.example.com"}},
		{"host and port", []string{"shop.example.com:8443"}, []string{"shop.example.com"}},
		{"host and path", []string{"shop.example.com/contact"}, []string{"shop.example.com"}},
		{"localhost", []string{"localhost"}, []string{"localhost"}},
		{"IPv4", []string{"192.0.2.10"}, []string{"192.0.2.10"}},
		{"IPv6 URL", []string{"http://[2001:DB8::1]:8080/"}, []string{"2001:db8::1"}},
		{"international name", []string{"bücher.example"}, []string{"xn--bcher-kva.example"}},
		{"repeats go, order stays", []string{"b.example.com", "a.example.com", "https://b.example.com"}, []string{"b.example.com", "a.example.com"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := livechat.NormalizeDomains(tc.in)
			if err != nil || !slices.Equal(got, tc.want) {
				t.Errorf(`NormalizeDomains(%q) = %q, %v; want %q`, tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNormalizeDomainsRefusesInvalidEntries(t *testing.T) {
	for _, entry := range []string{"*", "*.com", "shop.*.com", "*example.com", "shop example.com", "shop,example.com",
		"-shop.example.com", "shop..example.com", "https://", "shop_1.example.com", strings.Repeat("a", 64) + ".example.com"} {
		_, err := livechat.NormalizeDomains([]string{"ok.example.com", entry})
		var fe *model.FieldError
		if !errors.As(err, &fe) || fe.Field != "allowed_domains" || !strings.Contains(fe.Text(), `"`+entry+`"`) {
			t.Errorf(`NormalizeDomains(%q): %v, want a FieldError naming the entry`, entry, err)
		}
	}
	many := make([]string, livechat.MaxAllowedDomains+1)
	for i := range many {
		many[i] = "s" + strings.Repeat("x", i) + ".example.com"
	}
	if _, err := livechat.NormalizeDomains(many); err == nil {
		t.Errorf(`%d domains accepted, want at most %d`, len(many), livechat.MaxAllowedDomains)
	}
}

func TestOriginAllowed(t *testing.T) {
	const public = "https://chat.example.org"
	domains := []string{"shop.example.com", "*.example.net", "192.0.2.10"}
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://shop.example.com", true},
		{"http://shop.example.com:8080", true}, // any port
		{"https://SHOP.example.com", true},
		{"https://www.shop.example.com", false}, // exact entries are exact
		{"https://example.com", false},
		{"https://shop.example.com.evil.test", false},
		{"https://evilshop.example.com", false},
		{"https://a.example.net", true},
		{"https://a.b.example.net:444", true},
		{"https://example.net", false}, // the wildcard is for subdomains
		{"https://badexample.net", false},
		{"http://192.0.2.10:3000", true},
		{"null", false},
		{"not an origin", false},
		{"", true},                               // not a browser page
		{"https://chat.example.org", true},       // Parley's own pages
		{"https://chat.example.org:8443", false}, // not the public URL's origin
	}
	for _, tc := range tests {
		if got := livechat.OriginAllowed(domains, tc.origin, public); got != tc.want {
			t.Errorf(`OriginAllowed(%q) = %v, want %v`, tc.origin, got, tc.want)
		}
	}
	if !livechat.OriginAllowed(nil, "https://anywhere.test", public) {
		t.Errorf(`an empty list must allow any site`)
	}
}

func TestCheckOrigin(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	limited, err := f.lc.CheckOrigin(ctx, f.ch.ID, "https://anywhere.test")
	if err != nil || limited {
		t.Fatalf(`open channel: limited %v, %v`, limited, err)
	}
	f.ch.AllowedDomains = []string{"https://shop.example.com/", "*.example.net"}
	if err := f.lc.UpdateChannel(ctx, f.ch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.ch.AllowedDomains, []string{"shop.example.com", "*.example.net"}) {
		t.Errorf(`saved domains = %q`, f.ch.AllowedDomains)
	}
	limited, err = f.lc.CheckOrigin(ctx, f.ch.ID, "https://shop.example.com")
	if err != nil || !limited {
		t.Errorf(`allowed site: limited %v, %v`, limited, err)
	}
	_, err = f.lc.CheckOrigin(ctx, f.ch.ID, "https://evil.test:8443")
	refusal(t, err, model.Forbidden, "origin_not_allowed")
	if !strings.Contains(err.Error(), "evil.test") {
		t.Errorf(`refusal %q does not name the site`, err)
	}
	if _, err := f.lc.CheckOrigin(ctx, 9999, "https://shop.example.com"); !errors.Is(err, model.ErrNotFound) {
		t.Errorf(`unknown channel: %v`, err)
	}

	// A socket without channel_id is checked against the channels of the
	// visitor's open conversations.
	f.lc.Presence.Connect(f.ops[0].ID)
	res := f.start(t, nil)
	if err := f.lc.CheckSocketOrigin(ctx, res.Visitor.ID, 0, "https://evil.test"); err == nil {
		t.Errorf(`socket of a refused site with an open conversation on the channel: allowed`)
	}
	if err := f.lc.CheckSocketOrigin(ctx, res.Visitor.ID, 0, "https://a.example.net"); err != nil {
		t.Errorf(`socket of an allowed site: %v`, err)
	}
	if err := f.lc.CheckSocketOrigin(ctx, res.Visitor.ID, f.ch.ID, ""); err != nil {
		t.Errorf(`socket without Origin (not a browser): %v`, err)
	}
}

func TestVerifyIdentity(t *testing.T) {
	const secret = "s3cret"
	sig := livechat.IdentitySignature(secret, "user-42")
	// The documented computation, done independently:
	// printf '%s' user-42 | openssl dgst -sha256 -hmac s3cret
	if sig != "1136c48073bd2ba64f2a18895ff27ecfa11e24ccd2d86972ace148983668a992" {
		t.Fatalf(`IdentitySignature = %q, not openssl's HMAC-SHA256`, sig)
	}
	open := &model.Channel{IdentitySecret: secret}
	enforced := &model.Channel{IdentitySecret: secret, IdentityEnforce: true}
	tests := []struct {
		name          string
		ch            *model.Channel
		id, signature string
		want          string
		code          string // refusal code; "" when accepted
	}{
		{"valid", open, "user-42", sig, "user-42", ""},
		{"valid, upper-case hex", open, "user-42", strings.ToUpper(sig), "user-42", ""},
		{"valid, enforced", enforced, "user-42", sig, "user-42", ""},
		{"wrong signature", open, "user-42", livechat.IdentitySignature(secret, "user-43"), "", "identity_invalid"},
		{"another id", open, "user-43", sig, "", "identity_invalid"},
		{"another secret", &model.Channel{IdentitySecret: "other"}, "user-42", sig, "", "identity_invalid"},
		{"not hex", open, "user-42", "not-a-signature", "", "identity_invalid"},
		{"signature without id", open, "", sig, "", "identity_invalid"},
		{"no secret yet", &model.Channel{}, "user-42", sig, "", "identity_invalid"},
		{"missing", open, "", "", "", ""},
		{"id without signature is dropped", open, "user-42", "", "", ""},
		{"missing, enforced", enforced, "", "", "", "identity_required"},
		{"id without signature, enforced", enforced, "user-42", "", "", "identity_required"},
		{"wrong, enforced", enforced, "user-42", strings.Repeat("0", 64), "", "identity_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := livechat.VerifyIdentity(tc.ch, tc.id, tc.signature)
			if tc.code != "" {
				refusal(t, err, model.Forbidden, tc.code)
				return
			}
			if err != nil || got != tc.want {
				t.Errorf(`VerifyIdentity = %q, %v; want %q`, got, err, tc.want)
			}
		})
	}
}

func TestSignedIdentityStartsVerifiedChats(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	f.lc.Presence.Connect(f.ops[0].ID)

	// Enforcing without a secret would refuse everyone: refused.
	f.ch.IdentityEnforce = true
	var fe *model.FieldError
	if err := f.lc.UpdateChannel(ctx, f.ch); !errors.As(err, &fe) || fe.Field != "identity_enforce" {
		t.Fatalf(`enforce without a secret: %v`, err)
	}
	secret, err := f.lc.RegenerateIdentitySecret(ctx, f.ch.ID)
	if err != nil || len(secret) != 64 {
		t.Fatalf(`secret %q: %v`, secret, err)
	}
	ch, err := f.lc.Channel(ctx, f.ch.ID)
	if err != nil || ch.IdentitySecret != secret {
		t.Fatalf(`stored secret: %v`, err)
	}
	ch.IdentityEnforce = true
	if err := f.lc.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}

	start := func(token, id, sig string) (*livechat.StartResult, error) {
		return f.lc.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID, VisitorToken: token, ExternalID: id, Signature: sig, VisitorName: "Ada"})
	}
	_, err = start("", "", "")
	refusal(t, err, model.Forbidden, "identity_required")
	_, err = start("", "user-42", livechat.IdentitySignature("old secret", "user-42"))
	refusal(t, err, model.Forbidden, "identity_invalid")

	res, err := start("", "user-42", livechat.IdentitySignature(secret, "user-42"))
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.lc.Visitor(ctx, res.Visitor.ID)
	if err != nil || !v.Verified() || v.ExternalID != "user-42" || v.VerifiedAt.IsZero() {
		t.Fatalf(`visitor after a signed start: %+v, %v`, v, err)
	}
	views, err := f.lc.MySessions(ctx, f.ops[0], english{}, model.SessionOpen, false, 10)
	if err != nil || len(views) != 1 || !views[0].Visitor.Verified || views[0].Visitor.ExternalID != "user-42" {
		t.Fatalf(`operator's view: %+v, %v`, views, err)
	}

	// Another account on the same browser is another visitor, with its own
	// conversation; so is nobody signed in, when the channel allows it.
	res2, err := start(res.Token, "user-7", livechat.IdentitySignature(secret, "user-7"))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Visitor.ID == res.Visitor.ID || res2.Token == res.Token || res2.Session.ID == res.Session.ID {
		t.Errorf(`user-7 continued user-42's visitor or conversation`)
	}
	ch.IdentityEnforce = false
	if err := f.lc.UpdateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	res3, err := start(res.Token, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if res3.Visitor.ID == res.Visitor.ID || res3.Visitor.Verified() {
		t.Errorf(`an unsigned chat continued the verified visitor: %+v`, res3.Visitor)
	}
	// The same account continues its conversation.
	res4, err := start(res.Token, "user-42", livechat.IdentitySignature(secret, "user-42"))
	if err != nil || res4.Session.ID != res.Session.ID {
		t.Errorf(`user-42 again: session %v, want %v (%v)`, res4.Session.ID, res.Session.ID, err)
	}
}
