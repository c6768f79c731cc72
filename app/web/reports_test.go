package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/livechat"
	"parley/app/model"
)

func TestReports(t *testing.T) {
	srv := apptest.NewServer(t)
	admin, ada := srv.LoggedIn(t, "ada@example.com", model.RoleAdmin)
	ctx := context.Background()
	srv.Livechat.Presence.Connect(ada.ID)
	ch := defaultChannel(t, srv)

	// Two answered sessions and one the operator never answered; one more
	// without any message does not count.
	for i, reply := range []bool{true, true, false} {
		r, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Livechat.PostVisitorMessage(ctx, r.Session, fmt.Sprintf("question %d", i), ""); err != nil {
			t.Fatal(err)
		}
		if reply {
			if _, err := srv.Livechat.PostOperatorMessage(ctx, r.Session, ada, "answer", ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := srv.Livechat.StartSession(ctx, livechat.StartInput{ChannelID: ch.ID}); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	rep, err := srv.Store.SessionReport(ctx, model.ReportFilter{Since: now.Add(-time.Hour), Until: now.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Total
	if tot.Sessions != 3 || tot.Unanswered != 1 || tot.AvgMessages < 1.6 || tot.AvgMessages > 1.7 {
		t.Fatalf(`totals: %+v`, tot)
	}
	if len(rep.ByOperator) != 1 || rep.ByOperator[0].ID != ada.ID || rep.ByOperator[0].Figures.Sessions != 3 {
		t.Fatalf(`by operator: %+v`, rep.ByOperator)
	}
	if len(rep.ByChannel) != 1 || rep.ByChannel[0].Key != ch.Name || len(rep.ByDay) < 1 {
		t.Fatalf(`by channel/day: %+v %+v`, rep.ByChannel, rep.ByDay)
	}
	// A period that ends before the sessions holds none of them.
	empty, err := srv.Store.SessionReport(ctx, model.ReportFilter{Since: now.Add(-48 * time.Hour), Until: now.Add(-24 * time.Hour)})
	if err != nil || empty.Total.Sessions != 0 || len(empty.ByDay) != 0 {
		t.Fatalf(`empty period: %+v %v`, empty, err)
	}

	res, body := admin.Get("/admin/reports?days=7")
	if res.StatusCode != 200 || !strings.Contains(body, "Operator Analysis") || !strings.Contains(body, `<strong>3</strong>`) {
		t.Fatalf(`reports page: %d`, res.StatusCode)
	}
	if res, _ := admin.Get("/admin/reports?days=5"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf(`bad period: %d`, res.StatusCode)
	}
	if res, _ := admin.Get("/admin/reports?channel_id=x"); res.StatusCode != http.StatusBadRequest {
		t.Fatalf(`bad channel: %d`, res.StatusCode)
	}
	op, _ := srv.LoggedIn(t, "olga@example.com", model.RoleOperator)
	if res, _ := op.Get("/admin/reports"); res.StatusCode != http.StatusForbidden {
		t.Fatalf(`operator: %d`, res.StatusCode)
	}
}
