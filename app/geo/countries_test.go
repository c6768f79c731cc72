package geo_test

import (
	"strings"
	"testing"

	"parley/app/geo"
)

func TestCountriesList(t *testing.T) {
	list := geo.Countries()
	// ISO 3166-1 has had 249 entries since South Sudan (2011).
	if len(list) != 249 {
		t.Errorf("len(Countries()) = %d, want 249", len(list))
	}
	seen := map[string]bool{}
	for _, c := range list {
		if !geo.ValidCountry(c.Code) || len(c.Code) != 2 || strings.ToUpper(c.Code) != c.Code {
			t.Errorf("bad code %q", c.Code)
		}
		if seen[c.Code] {
			t.Errorf("duplicate code %q", c.Code)
		}
		seen[c.Code] = true
		if c.Name == "" {
			t.Errorf("%s has no name", c.Code)
		}
	}
	list[0].Name = "changed"
	if geo.Countries()[0].Name == "changed" {
		t.Error("Countries returns shared storage")
	}
}

// fold drops the accents found in the list so that "Åland" sorts with "A".
var fold = strings.NewReplacer("Å", "A", "ô", "o", "ç", "c", "é", "e", "ü", "u")

func TestCountriesSorted(t *testing.T) {
	list := geo.Countries()
	for i := 1; i < len(list); i++ {
		a, b := strings.ToLower(fold.Replace(list[i-1].Name)), strings.ToLower(fold.Replace(list[i].Name))
		if a > b {
			t.Errorf("%q sorts before %q", list[i-1].Name, list[i].Name)
		}
	}
}

func TestCountryName(t *testing.T) {
	tests := []struct {
		code, want string
		ok         bool
	}{
		{"BE", "Belgium", true},
		{"US", "United States", true},
		{"KR", "South Korea", true},
		{"AX", "Åland Islands", true},
		{"SS", "South Sudan", true},
		{"be", "", false},
		{"XX", "", false},
		{"", "", false},
		{"UK", "", false},
	}
	for _, tt := range tests {
		got, ok := geo.CountryName(tt.code)
		if got != tt.want || ok != tt.ok {
			t.Errorf("CountryName(%q) = %q, %v; want %q, %v", tt.code, got, ok, tt.want, tt.ok)
		}
	}
}

func TestValidAndNormalizeCountry(t *testing.T) {
	tests := []struct {
		in        string
		valid     bool
		norm      string
		normValid bool
	}{
		{"BE", true, "BE", true},
		{"be", false, "BE", true},
		{" fr\n", false, "FR", true},
		{"Be", false, "BE", true},
		{"XX", false, "XX", false},
		{"BEL", false, "BEL", false},
		{"", false, "", false},
		{"  ", false, "", false},
	}
	for _, tt := range tests {
		if got := geo.ValidCountry(tt.in); got != tt.valid {
			t.Errorf("ValidCountry(%q) = %v, want %v", tt.in, got, tt.valid)
		}
		norm, ok := geo.NormalizeCountry(tt.in)
		if norm != tt.norm || ok != tt.normValid {
			t.Errorf("NormalizeCountry(%q) = %q, %v; want %q, %v", tt.in, norm, ok, tt.norm, tt.normValid)
		}
	}
}

func TestCountryNamesInLanguages(t *testing.T) {
	if n, _ := geo.CountryNameIn("es", "DE"); n != "Alemania" {
		t.Errorf("DE in Spanish = %q", n)
	}
	if n, _ := geo.CountryNameIn("en", "DE"); n != "Germany" {
		t.Errorf("DE in English = %q", n)
	}
	if n, _ := geo.CountryNameIn("fr", "DE"); n != "Germany" {
		t.Errorf("DE without a French table = %q, want the English name", n)
	}
	list := geo.CountriesIn("es")
	if len(list) != len(geo.Countries()) {
		t.Fatalf("%d countries in Spanish, %d in English", len(list), len(geo.Countries()))
	}
	for i := 1; i < len(list); i++ {
		a, b := strings.ToLower(strings.NewReplacer("Á", "A", "É", "E", "Í", "I", "Ó", "O", "Ú", "U", "Å", "A").Replace(list[i-1].Name)), strings.ToLower(strings.NewReplacer("Á", "A", "É", "E", "Í", "I", "Ó", "O", "Ú", "U", "Å", "A").Replace(list[i].Name))
		if a > b && !strings.ContainsAny(a+b, "áéíóúñüô") {
			t.Errorf("%q sorts before %q in Spanish", list[i-1].Name, list[i].Name)
		}
	}
}
