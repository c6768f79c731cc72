package livechat

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"

	"parley/app/model"
)

// Embed lock-down and signed visitor identity: which sites may use a
// channel's widget, and how a site vouches for the user it signed in.

// MaxAllowedDomains bounds a channel's allowed-domain list.
const MaxAllowedDomains = 100

// NormalizeDomains cleans the allowed domains an admin typed: one host
// name per entry, "*.example.com" for every subdomain of example.com (not
// example.com itself). A pasted URL keeps only its host, a port is dropped
// (matching ignores ports), international names become their xn-- form;
// blank entries and repeats go. An invalid entry is a FieldError naming it.
func NormalizeDomains(entries []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		d, ok := normalizeDomain(e)
		if !ok {
			return nil, fieldErr("allowed_domains", "%q is not a domain: write a host name such as shop.example.com, or *.example.com for all its subdomains.", e)
		}
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	if len(out) > MaxAllowedDomains {
		return nil, fieldErr("allowed_domains", "At most %d allowed domains; use *.example.com to allow all the subdomains of a site.", MaxAllowedDomains)
	}
	return out, nil
}

// normalizeDomain reduces one entry to a lower-case ASCII host name, an IP
// address or a "*." wildcard; ok is false when it is none of these.
func normalizeDomain(e string) (string, bool) {
	if strings.Contains(e, "://") {
		u, err := url.Parse(e)
		if err != nil || u.Host == "" {
			return "", false
		}
		e = u.Host
	} else if i := strings.IndexAny(e, "/?#"); i >= 0 {
		e = e[:i] // shop.example.com/contact
	}
	if h, _, err := net.SplitHostPort(e); err == nil {
		e = h
	}
	e = strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(e, "["), "]"), ".")
	if a, err := netip.ParseAddr(e); err == nil && a.Zone() == "" {
		return a.Unmap().String(), true
	}
	wild := strings.HasPrefix(e, "*.")
	name := strings.TrimPrefix(e, "*.")
	ascii, err := idna.Lookup.ToASCII(name)
	if err != nil || !hostName(ascii) || (wild && !strings.Contains(ascii, ".")) {
		return "", false
	}
	if wild {
		return "*." + ascii, true
	}
	return ascii, true
}

// hostName reports whether s is a valid DNS host name in ASCII.
func hostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// DomainAllowed reports whether host (a page's host name, without port) is
// one of domains: equal to an entry, or a subdomain of a "*." entry.
func DomainAllowed(domains []string, host string) bool {
	for _, d := range domains {
		if suffix, wild := strings.CutPrefix(d, "*"); wild {
			if len(host) > len(suffix) && strings.HasSuffix(host, suffix) {
				return true
			}
		} else if host == d {
			return true
		}
	}
	return false
}

// originHost parses an Origin header ("https://shop.example.com:8443")
// into its host:port (lower case) and its host name alone, comparable with
// NormalizeDomains' entries. "null" (sandboxed frames, files) and anything
// else that is not an origin are not ok.
func originHost(origin string) (hostPort, host string, ok bool) {
	u, err := url.Parse(origin)
	if err != nil || u.Scheme == "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return "", "", false
	}
	host = strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if a, err := netip.ParseAddr(host); err == nil {
		host = a.Unmap().String()
	}
	return strings.ToLower(u.Host), host, host != ""
}

// OriginAllowed is the embed rule: may a page of origin (a browser's
// Origin header; "" when the client is not a browser page) use a channel
// limited to domains? Any page may when the list is empty, and Parley's own
// pages (those of its public URL, such as the chat link) always may.
func OriginAllowed(domains []string, origin, publicURL string) bool {
	if len(domains) == 0 || origin == "" {
		return true
	}
	hostPort, host, ok := originHost(origin)
	if !ok {
		return false
	}
	if u, err := url.Parse(publicURL); err == nil && u.Host != "" && hostPort == strings.ToLower(u.Host) {
		return true
	}
	return DomainAllowed(domains, host)
}

// CheckOrigin applies the embed rule to a visitor request for channelID
// from a page of origin. It refuses (Forbidden, origin_not_allowed) a page of a site the channel does
// not allow; limited says whether the channel names its sites, so that
// CORS must name the page's origin instead of allowing any.
func (s *Service) CheckOrigin(ctx context.Context, channelID int64, origin string) (limited bool, err error) {
	info, err := s.Info(ctx, channelID)
	if err != nil {
		return false, err
	}
	domains := info.Channel.AllowedDomains
	if OriginAllowed(domains, origin, s.baseURL) {
		return len(domains) > 0, nil
	}
	return true, refuseOrigin(origin)
}

// CheckSocketOrigin applies the embed rule to a visitor socket: against
// channelID when the widget named it, else against the channels of the
// visitor's open conversations (widgets older than the channel_id
// parameter), whose frames the socket would carry.
func (s *Service) CheckSocketOrigin(ctx context.Context, visitorID, channelID int64, origin string) error {
	if origin == "" {
		return nil
	}
	if channelID != 0 {
		_, err := s.CheckOrigin(ctx, channelID, origin)
		return err
	}
	open, err := s.st.OpenSessionsOfVisitor(ctx, visitorID)
	if err != nil {
		return err
	}
	for _, x := range open {
		if x.ChannelID == 0 {
			continue
		}
		if _, err := s.CheckOrigin(ctx, x.ChannelID, origin); err != nil {
			return err
		}
	}
	return nil
}

func refuseOrigin(origin string) error {
	site := origin
	if _, host, ok := originHost(origin); ok {
		site = host
	}
	return model.Refuse(model.Forbidden, "origin_not_allowed",
		"This chat is not available on %s: the channel only works on the websites listed in its allowed domains.", site)
}

// MaxExternalIDLen bounds the user id a host site signs.
const MaxExternalIDLen = 256

// IdentitySignature is what a host site sends to vouch for its user id:
// hex(HMAC-SHA256(secret, id)).
func IdentitySignature(secret, id string) string { return hex.EncodeToString(mac(secret, id)) }

// VerifyIdentity checks the identity a host page gave for its visitor (its
// user id and the signature of it) against the channel's secret. It
// returns the verified id, or "" for a visitor the page did not sign: an id
// without a signature is only a hint and is dropped. A signature that does
// not match is refused (Forbidden, identity_invalid), and so is a chat
// without a valid one when the channel enforces identities
// (identity_required).
func VerifyIdentity(c *model.Channel, id, signature string) (string, error) {
	signature = strings.TrimSpace(signature)
	if signature == "" {
		if c.IdentityEnforce {
			return "", model.Refuse(model.Forbidden, "identity_required",
				"This chat is for signed-in customers: the website did not identify you. Sign in on the website and try again.")
		}
		return "", nil
	}
	if utf8.RuneCountInString(id) > MaxExternalIDLen || strings.IndexFunc(id, unicode.IsControl) >= 0 {
		return "", fieldErr("visitor_external_id", "The visitor id must be at most %d characters, without control characters.", MaxExternalIDLen)
	}
	got, err := hex.DecodeString(signature)
	if id == "" || c.IdentitySecret == "" || err != nil || !hmac.Equal(got, mac(c.IdentitySecret, id)) {
		return "", model.Refuse(model.Forbidden, "identity_invalid",
			"The website's proof of who you are (the visitor signature) is not valid, so the chat cannot start. Reload the page, or sign in again.")
	}
	return id, nil
}

func mac(secret, id string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(id))
	return m.Sum(nil)
}

// NewIdentitySecret makes a random identity secret: 32 bytes, in hex.
func NewIdentitySecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("livechat: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// RegenerateIdentitySecret gives the channel a new identity secret and
// returns it; signatures made with the previous one stop being valid.
func (s *Service) RegenerateIdentitySecret(ctx context.Context, channelID int64) (string, error) {
	secret := NewIdentitySecret()
	if err := s.st.SetChannelIdentitySecret(ctx, channelID, secret); err != nil {
		return "", err
	}
	s.invalidate(channelID)
	return secret, nil
}
