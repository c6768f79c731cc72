package store_test

import (
	"context"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// A visitor made with their first page view in one write ends up with the
// row a visitor made first and then shown a page has, in either language
// case.
func TestCreateVisitorWithPageViewIsCreateThenPageView(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	type row struct {
		name, email, country, url, title, language, externalID, phone string
		visits                                                        int
		verified                                                      any
		onPageSinceSeen, seenIsView                                   bool
	}
	read := func(id int64) row {
		t.Helper()
		var r row
		if err := st.Writer().QueryRow(`SELECT v.name, v.email, v.country, v.current_url, v.current_title, v.language, v.external_id, v.phone,
			v.visits, v.verified_at, v.page_since = v.last_seen_at AND v.page_since > 0,
			v.last_seen_at = (SELECT max(created_at) FROM page_views p WHERE p.visitor_id = v.id)
			FROM visitors v WHERE v.id = ?`, id).Scan(&r.name, &r.email, &r.country, &r.url, &r.title, &r.language, &r.externalID, &r.phone,
			&r.visits, &r.verified, &r.onPageSinceSeen, &r.seenIsView); err != nil {
			t.Fatal(err)
		}
		return r
	}
	for i, language := range []string{"", "fr"} {
		suffix := string(rune('a' + i))
		pv := func() *model.PageView { return &model.PageView{URL: "https://example.com/shop", Title: "Shop"} }
		one := &model.Visitor{Name: "Ada", Email: "ada@example.com", Country: "FR", CurrentURL: "https://example.com/ignored"}
		if err := st.CreateVisitorWithPageView(ctx, one, "one"+suffix, pv(), language); err != nil {
			t.Fatal(err)
		}
		two := &model.Visitor{Name: "Ada", Email: "ada@example.com", Country: "FR", CurrentURL: "https://example.com/ignored"}
		if err := st.CreateVisitor(ctx, two, "two"+suffix); err != nil {
			t.Fatal(err)
		}
		view := pv()
		view.VisitorID = two.ID
		if err := st.AddPageView(ctx, view, language); err != nil {
			t.Fatal(err)
		}
		got, want := read(one.ID), read(two.ID)
		if got != want {
			t.Errorf("language %q: in one write %+v; made then shown a page %+v", language, got, want)
		}
		if !got.onPageSinceSeen || !got.seenIsView || got.url != "https://example.com/shop" || got.visits != 1 {
			t.Errorf("language %q: %+v; want the page view's page and time, one visit", language, got)
		}
	}
}
