// Package geo maps visitor IP addresses to countries with a MaxMind
// (GeoLite2/GeoIP2 Country or City) database, and lists ISO 3166-1 countries.
package geo

import (
	"fmt"
	"net/netip"
	"sync"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Locator answers country lookups. The zero value and a Locator opened with
// an empty path know no country, so GeoIP stays optional for callers.
// A Locator is safe for concurrent use, including Close during lookups.
type Locator struct {
	// mu stops Close from unmapping the file while a lookup reads it.
	mu     sync.RWMutex
	reader *maxminddb.Reader
}

// record holds the only fields we read; Country and City databases share them.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// Open opens the MaxMind database at path. An empty path is not an error: it
// returns a Locator that answers "" to every lookup.
func Open(path string) (*Locator, error) {
	if path == "" {
		return &Locator{}, nil
	}
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geo: open database %q: %w", path, err)
	}
	return &Locator{reader: r}, nil
}

// Reopen replaces the database with the one at path ("" for none), for a
// change made while Parley runs. When path cannot be opened the current
// database stays and the error says why.
func (l *Locator) Reopen(path string) error {
	var r *maxminddb.Reader
	if path != "" {
		var err error
		if r, err = maxminddb.Open(path); err != nil {
			return fmt.Errorf("geo: open database %q: %w", path, err)
		}
	}
	l.mu.Lock()
	old := l.reader
	l.reader = r
	l.mu.Unlock()
	if old != nil {
		if err := old.Close(); err != nil {
			return fmt.Errorf("geo: close database: %w", err)
		}
	}
	return nil
}

// Country returns the upper-case ISO 3166-1 alpha-2 code of the country of
// ip, or "" when it is unknown, there is no database, or ip is not a public
// address.
func (l *Locator) Country(ip netip.Addr) string {
	if l == nil {
		return ""
	}
	// IPv4-mapped IPv6 addresses come from dual-stack listeners; look them up
	// as the IPv4 address they are.
	ip = ip.Unmap()
	if !ip.IsValid() || !ip.IsGlobalUnicast() || ip.IsPrivate() {
		return ""
	}
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.reader == nil {
		return ""
	}
	var rec record
	// A decode error means a corrupt record; the visitor then simply has no
	// known country, which every caller already handles.
	if err := l.reader.Lookup(ip).Decode(&rec); err != nil {
		return ""
	}
	code := rec.Country.ISOCode
	if code == "" {
		// Anonymous proxies and some satellite ranges only carry the
		// registrant's country.
		code = rec.RegisteredCountry.ISOCode
	}
	return upperCode(code)
}

// upperCode upper-cases a two-letter ASCII code without allocating when it is
// already upper case, and rejects anything else.
func upperCode(s string) string {
	if len(s) != 2 {
		return ""
	}
	b := [2]byte{s[0], s[1]}
	for i, c := range b {
		switch {
		case 'A' <= c && c <= 'Z':
		case 'a' <= c && c <= 'z':
			b[i] = c - 'a' + 'A'
		default:
			return ""
		}
	}
	if b[0] == s[0] && b[1] == s[1] {
		return s
	}
	return string(b[:])
}

// Close releases the database. Later lookups return "".
func (l *Locator) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.reader == nil {
		return nil
	}
	err := l.reader.Close()
	l.reader = nil
	if err != nil {
		return fmt.Errorf("geo: close database: %w", err)
	}
	return nil
}
