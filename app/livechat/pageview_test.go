package livechat_test

import (
	"context"
	"errors"
	"testing"

	"parley/app/model"
)

// A first visit creates the visitor with their page in one write; a page
// without a URL creates nobody; a returning visitor's page is theirs; an
// unknown token (a restored backup) starts afresh.
func TestPageView(t *testing.T) {
	f := newFixture(t, 1, nil)
	ctx := context.Background()
	count := func() int {
		t.Helper()
		n, err := f.st.CountVisitors(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	n0 := count()
	var fe *model.FieldError
	if _, _, err := f.lc.PageView(ctx, "", "ES", "   ", "Home", "es"); !errors.As(err, &fe) || fe.Field != "url" || count() != n0 {
		t.Fatalf("a page without a URL: %v, %d visitors (was %d); want a url error and nobody created", err, count(), n0)
	}
	v, token, err := f.lc.PageView(ctx, "", "ES", "https://shop.example/a", "A", "es-ES")
	if err != nil || token == "" || count() != n0+1 {
		t.Fatalf("first visit: %+v %q %v", v, token, err)
	}
	got, err := f.lc.VisitorByToken(ctx, token)
	if err != nil || got.ID != v.ID || got.CurrentURL != "https://shop.example/a" || got.Language != "es-ES" || got.Country != "ES" || got.Visits != 1 {
		t.Fatalf("the new visitor as stored: %+v, %v", got, err)
	}
	again, newToken, err := f.lc.PageView(ctx, token, "ES", "https://shop.example/b", "B", "")
	if err != nil || newToken != "" || again.ID != v.ID {
		t.Fatalf("second page: %+v %q %v; want the same visitor, no new token", again, newToken, err)
	}
	views, err := f.st.PageViews(ctx, v.ID, 10)
	if err != nil || len(views) != 2 || views[0].URL != "https://shop.example/b" || views[1].URL != "https://shop.example/a" {
		t.Fatalf("page views: %+v, %v", views, err)
	}
	if w, tok, err := f.lc.PageView(ctx, "pv_unknown", "", "https://shop.example/", "", ""); err != nil || tok == "" || w.ID == v.ID {
		t.Fatalf("an unknown token: %+v %q %v; want a new visitor", w, tok, err)
	}
}
