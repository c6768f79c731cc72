package geo_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"parley/app/geo"
	"parley/app/geo/geotest"
)

// writeDB builds a database with arbitrary records, for the shapes that
// geotest.WriteMMDB does not produce (registered_country only, lower case).
func writeDB(t *testing.T, recs map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range recs {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "custom.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	return path
}

func iso(code string) mmdbtype.Map {
	return mmdbtype.Map{"iso_code": mmdbtype.String(code)}
}

func TestLocatorCountry(t *testing.T) {
	path := writeDB(t, map[string]mmdbtype.Map{
		"81.240.0.0/16":  {"country": iso("BE"), "registered_country": iso("BE")},
		"2a02:a000::/26": {"country": iso("BE")},
		"89.0.0.0/16":    {"country": iso("fr")},
		"93.184.0.0/16":  {"registered_country": iso("US")},
		"94.0.0.0/16":    {"country": iso("DE"), "registered_country": iso("NL")},
		"95.0.0.0/16":    {"country": iso("EUR")},
	})
	loc, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer loc.Close()

	tests := []struct {
		name, ip, want string
	}{
		{"ipv4", "81.240.12.34", "BE"},
		{"ipv6", "2a02:a010::1", "BE"},
		{"ipv4 mapped in ipv6", "::ffff:81.240.1.1", "BE"},
		{"lower case code is upper-cased", "89.0.1.2", "FR"},
		{"registered country fallback", "93.184.216.34", "US"},
		{"country wins over registered", "94.0.0.1", "DE"},
		{"malformed code", "95.0.0.1", ""},
		{"not in database", "8.8.8.8", ""},
		{"ipv6 not in database", "2001:4860::8888", ""},
		{"private", "10.1.2.3", ""},
		{"loopback", "127.0.0.1", ""},
		{"ipv6 loopback", "::1", ""},
		{"link local", "fe80::1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := loc.Country(netip.MustParseAddr(tt.ip)); got != tt.want {
				t.Errorf("Country(%s) = %q, want %q", tt.ip, got, tt.want)
			}
		})
	}
	if got := loc.Country(netip.Addr{}); got != "" {
		t.Errorf("Country(zero Addr) = %q, want empty", got)
	}
}

func TestGeotestWriteMMDB(t *testing.T) {
	path := geotest.WriteMMDB(t, map[string]string{
		"81.240.0.0/16":  "BE",
		"2a02:a000::/26": "BE",
		"203.0.113.0/24": "JP",
		"2001:db8::/32":  "CA",
	})
	loc, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer loc.Close()
	tests := []struct{ ip, want string }{
		{"81.240.0.1", "BE"},
		{"2a02:a000::1", "BE"},
		{"203.0.113.9", "JP"},
		{"2001:db8::42", "CA"},
		{"81.241.0.1", ""},
	}
	for _, tt := range tests {
		if got := loc.Country(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("Country(%s) = %q, want %q", tt.ip, got, tt.want)
		}
	}
}

func TestOpenEmptyPath(t *testing.T) {
	loc, err := geo.Open("")
	if err != nil {
		t.Fatalf("Open(\"\") error = %v", err)
	}
	if got := loc.Country(netip.MustParseAddr("81.240.0.1")); got != "" {
		t.Errorf("Country = %q, want empty", got)
	}
	if err := loc.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	var zero *geo.Locator
	if got := zero.Country(netip.MustParseAddr("81.240.0.1")); got != "" {
		t.Errorf("nil Locator Country = %q, want empty", got)
	}
	if err := zero.Close(); err != nil {
		t.Errorf("nil Locator Close = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notMMDB := filepath.Join(dir, "not.mmdb")
	if err := os.WriteFile(notMMDB, []byte("hello, not a database"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path string }{
		{"missing", filepath.Join(dir, "missing.mmdb")},
		{"not a database", notMMDB},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := geo.Open(tt.path)
			if err == nil {
				loc.Close()
				t.Fatal("Open succeeded, want error")
			}
			if !strings.HasPrefix(err.Error(), "geo: open database") || !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q should start with \"geo: open database\" and name %s", err, tt.path)
			}
		})
	}
}

func TestCloseDuringLookups(t *testing.T) {
	loc, err := geo.Open(geotest.WriteMMDB(t, map[string]string{"81.240.0.0/16": "BE"}))
	if err != nil {
		t.Fatal(err)
	}
	ip := netip.MustParseAddr("81.240.0.1")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := loc.Country(ip); got != "BE" && got != "" {
					t.Errorf("Country = %q", got)
				}
			}
		})
	}
	if err := loc.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	wg.Wait()
	if got := loc.Country(ip); got != "" {
		t.Errorf("Country after Close = %q, want empty", got)
	}
	if err := loc.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// TestReopenDuringLookups swaps databases while lookups run: each lookup
// answers from the old or the new one, a bad path keeps the current one,
// and "" turns GeoIP off.
func TestReopenDuringLookups(t *testing.T) {
	loc, err := geo.Open("")
	if err != nil {
		t.Fatal(err)
	}
	be := geotest.WriteMMDB(t, map[string]string{"81.240.0.0/16": "BE"})
	fr := geotest.WriteMMDB(t, map[string]string{"81.240.0.0/16": "FR"})
	ip := netip.MustParseAddr("81.240.0.1")
	if err := loc.Reopen(be); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if got := loc.Country(ip); got != "BE" && got != "FR" {
					t.Errorf("Country = %q during the swap", got)
				}
			}
		})
	}
	if err := loc.Reopen(fr); err != nil {
		t.Errorf("Reopen = %v", err)
	}
	wg.Wait()
	if got := loc.Country(ip); got != "FR" {
		t.Errorf("Country after Reopen = %q, want FR", got)
	}
	if err := loc.Reopen(filepath.Join(t.TempDir(), "missing.mmdb")); err == nil || !strings.Contains(err.Error(), "missing.mmdb") {
		t.Errorf("Reopen of a missing file = %v, want an error naming it", err)
	}
	if got := loc.Country(ip); got != "FR" {
		t.Errorf("a failed Reopen dropped the database: Country = %q", got)
	}
	if err := loc.Reopen(""); err != nil {
		t.Errorf("Reopen(\"\") = %v", err)
	}
	if got := loc.Country(ip); got != "" {
		t.Errorf("Country without a database = %q", got)
	}
}

func BenchmarkCountry(b *testing.B) {
	loc, err := geo.Open(geotest.WriteMMDB(b, map[string]string{"81.240.0.0/16": "BE"}))
	if err != nil {
		b.Fatal(err)
	}
	defer loc.Close()
	ip := netip.MustParseAddr("81.240.0.1")
	b.ReportAllocs()
	for b.Loop() {
		loc.Country(ip)
	}
}
