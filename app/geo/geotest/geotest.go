// Package geotest builds small MaxMind country databases for tests.
package geotest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// WriteMMDB writes a GeoLite2-Country style database mapping each CIDR of
// nets to an ISO country code ({"country":{"iso_code":code}}) and returns
// its path inside t.TempDir(). Reserved ranges are allowed, so tests can use
// the documentation networks (192.0.2.0/24, 203.0.113.0/24, 2001:db8::/32).
// It fails the test on any error.
func WriteMMDB(t testing.TB, nets map[string]string) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{
		DatabaseType:            "GeoLite2-Country",
		RecordSize:              24,
		IncludeReservedNetworks: true,
	})
	if err != nil {
		t.Fatalf("geotest: new tree: %v", err)
	}
	for cidr, code := range nets {
		_, network, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatalf("geotest: parse %q: %v", cidr, err)
		}
		rec := mmdbtype.Map{
			"country": mmdbtype.Map{"iso_code": mmdbtype.String(code)},
		}
		if err := tree.Insert(network, rec); err != nil {
			t.Fatalf("geotest: insert %q: %v", cidr, err)
		}
	}
	path := filepath.Join(t.TempDir(), "country.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("geotest: %v", err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		f.Close()
		t.Fatalf("geotest: write %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("geotest: close %s: %v", path, err)
	}
	return path
}
