package geo

import (
	"sort"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// CountryNameIn returns a country's name in lang ("es"), or its English
// name for English and languages without a table (country_names.go, made
// by gen_names.go for each catalogue's language).
func CountryNameIn(lang, code string) (string, bool) {
	if name, ok := countryNames[lang][code]; ok {
		return name, true
	}
	return CountryName(code)
}

var sortedIn sync.Map // lang → []Country in that language's name order

// CountriesIn lists every country named in lang, in that language's
// alphabetical order (accents folded), for pickers.
func CountriesIn(lang string) []Country {
	if _, ok := countryNames[lang]; !ok {
		return Countries()
	}
	if v, ok := sortedIn.Load(lang); ok {
		return append([]Country(nil), v.([]Country)...)
	}
	list := make([]Country, len(countries))
	for i, c := range countries {
		list[i] = c
		list[i].Name, _ = CountryNameIn(lang, c.Code)
	}
	sort.SliceStable(list, func(i, j int) bool { return foldKey(list[i].Name) < foldKey(list[j].Name) })
	sortedIn.Store(lang, list)
	return append([]Country(nil), list...)
}

// foldKey lower-cases s and drops its accents, so "Åland" sorts with "A".
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
