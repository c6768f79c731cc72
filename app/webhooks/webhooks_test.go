package webhooks_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/helpdesk"
	"parley/app/leads"
	"parley/app/model"
	"parley/app/outbox"
	"parley/app/store"
	"parley/app/webhooks"
)

type fixture struct {
	st      *store.Store
	worker  *outbox.Worker
	wh      *webhooks.Service
	leads   *leads.Service
	desk    *helpdesk.Service
	session *model.Session
}

// newFixture wires the real store, outbox worker (with short delays) and
// services, and a conversation to create leads and tickets from.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st := apptest.NewStore(t)
	w := outbox.New(st, outbox.Options{Logger: apptest.Logger(t), Poll: 50 * time.Millisecond, BaseDelay: 20 * time.Millisecond,
		MaxDelay: 100 * time.Millisecond, MaxAttempts: 100, Timeout: time.Second})
	wh := webhooks.New(st, "https://chat.example.com", &http.Client{Timeout: 300 * time.Millisecond})
	wh.Register(w)
	f := &fixture{st: st, worker: w, wh: wh, leads: leads.New(st), desk: helpdesk.New(st)}
	f.leads.Hook, f.desk.Hook = wh.LeadHook, wh.TicketHook
	w.Start()
	t.Cleanup(w.Stop)
	ch := &model.Channel{Name: "Web"}
	v := &model.Visitor{Name: "Ann", Email: "ann@example.com"}
	if err := st.CreateChannel(ctx, ch); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateVisitor(ctx, v, "h"); err != nil {
		t.Fatal(err)
	}
	f.session = &model.Session{PublicID: "pub", ChannelID: ch.ID, VisitorID: v.ID, VisitorName: "Ann"}
	if err := st.CreateSession(ctx, f.session); err != nil {
		t.Fatal(err)
	}
	if _, err := st.InsertMessages(ctx, []*model.Message{{SessionID: f.session.ID, AuthorKind: model.AuthorVisitor, AuthorName: "Ann", Body: "40 chairs please"}}); err != nil {
		t.Fatal(err)
	}
	return f
}

// receiver records the calls it accepts; status picks its answer.
type receiver struct {
	mu     sync.Mutex
	status int
	hang   bool
	calls  []call
}

type call struct {
	sig, event string
	body       []byte
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	status, hang := r.status, r.hang
	if status == 0 {
		status = 200
	}
	if status == 200 && !hang {
		r.calls = append(r.calls, call{req.Header.Get(webhooks.SignatureHeader), req.Header.Get("X-Parley-Event"), body})
	}
	r.mu.Unlock()
	if hang {
		time.Sleep(time.Second) // longer than the client's timeout
	}
	w.WriteHeader(status)
}

func (r *receiver) set(status int, hang bool) {
	r.mu.Lock()
	r.status, r.hang = status, hang
	r.mu.Unlock()
}

func (r *receiver) got() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second) // a hang guard, not a performance assertion
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLeadWebhookSurvivesADownReceiver: the receiver's address refuses
// connections, then times out, then answers 500; the lead's call keeps
// being retried and arrives signed once the receiver is healthy, exactly
// once, and the delivery log tells each failure.
func TestLeadWebhookSurvivesADownReceiver(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	team := &model.SalesTeam{Name: "Europe", Active: true}
	if err := f.leads.SaveTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	// An address nobody listens on yet.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	secret, err := f.wh.SetURL(ctx, webhooks.Sales, team.ID, "http://"+addr+"/hook")
	if err != nil || len(secret) != 64 {
		t.Fatalf("set url: %q %v", secret, err)
	}
	l, err := f.leads.CreateLead(ctx, f.session.ID, "Forty chairs", leads.Contact{Phone: "+32 1"}, leads.Options{})
	if err != nil || l.TeamID != team.ID {
		t.Fatalf("lead: %+v %v", l, err)
	}
	log := func() []model.OutboxItem {
		wh, err := f.wh.Of(ctx, webhooks.Sales, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		return wh.Deliveries
	}
	waitFor(t, "failed attempts while nobody listens", func() bool { d := log(); return len(d) == 1 && d[0].Attempts >= 2 })
	if d := log()[0]; d.Status != model.OutboxQueued || d.LastError == "" {
		t.Fatalf("while down: %+v", d)
	}

	// The receiver comes up on that address, first hanging, then failing.
	rcv := &receiver{}
	rcv.set(0, true)
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	srv := &http.Server{Handler: rcv}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	before := log()[0].Attempts
	waitFor(t, "a timed-out attempt", func() bool { return log()[0].Attempts > before+1 })
	rcv.set(http.StatusInternalServerError, false)
	before = log()[0].Attempts
	waitFor(t, "a 500 attempt", func() bool { d := log()[0]; return d.Attempts > before+1 && d.LastError != "" })
	if d := log()[0]; d.Status != model.OutboxQueued {
		t.Fatalf("after 500s: %+v", d)
	}
	rcv.set(200, false)
	waitFor(t, "the delivery", func() bool { return log()[0].Status == model.OutboxSent })
	calls := rcv.got()
	if len(calls) != 1 {
		t.Fatalf("calls = %d", len(calls))
	}
	c := calls[0]
	if c.event != "lead.created" || c.sig != webhooks.Sign(secret, c.body) {
		t.Errorf("call: event %q sig %q", c.event, c.sig)
	}
	var p webhooks.LeadPayload
	if err := json.Unmarshal(c.body, &p); err != nil {
		t.Fatal(err)
	}
	if p.Event != "lead.created" || p.Lead.Title != "Forty chairs" || p.Lead.Notes != "Ann: 40 chairs please" || p.Lead.Phone != "+32 1" ||
		p.Lead.Team.Name != "Europe" || p.Lead.URL != "https://chat.example.com/admin/leads/1" || p.Lead.SessionID != "pub" {
		t.Errorf("payload = %+v", p)
	}
	time.Sleep(100 * time.Millisecond) // a second delivery would have come by now
	if n := len(rcv.got()); n != 1 {
		t.Errorf("delivered %d times", n)
	}
}

// TestTicketWebhookRefusalsAndSecrets: a 4xx is final; a regenerated secret
// signs the next calls; teams without a URL enqueue nothing; only http(s)
// URLs are accepted.
func TestTicketWebhookRefusalsAndSecrets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	team := &model.HelpdeskTeam{Name: "Support", Sequence: 1, LiveChat: true}
	if err := f.desk.SaveTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"ftp://example.com/x", "javascript:alert(1)", "example.com/hook", "http://", "https://user:pw@example.com/"} {
		var fe *model.FieldError
		if _, err := f.wh.SetURL(ctx, webhooks.Helpdesk, team.ID, bad); !errors.As(err, &fe) || fe.Field != "webhook_url" {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if _, err := f.desk.CreateTicket(ctx, f.session.ID, "Before the webhook", helpdesk.Contact{}, helpdesk.Options{}); err != nil {
		t.Fatal(err)
	}
	if wh, _ := f.wh.Of(ctx, webhooks.Helpdesk, team.ID); len(wh.Deliveries) != 0 {
		t.Fatalf("a team without a URL enqueued %d calls", len(wh.Deliveries))
	}

	rcv := &receiver{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: rcv}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	if _, err := f.wh.SetURL(ctx, webhooks.Helpdesk, team.ID, "http://"+ln.Addr().String()+"/hook"); err != nil {
		t.Fatal(err)
	}
	rcv.set(http.StatusBadRequest, false)
	if _, err := f.desk.CreateTicket(ctx, f.session.ID, "Refused", helpdesk.Contact{}, helpdesk.Options{}); err != nil {
		t.Fatal(err)
	}
	log := func() []model.OutboxItem {
		wh, _ := f.wh.Of(ctx, webhooks.Helpdesk, team.ID)
		return wh.Deliveries
	}
	waitFor(t, "the refusal", func() bool { d := log(); return len(d) == 1 && d[0].Status == model.OutboxFailed })
	if d := log()[0]; d.Attempts != 1 {
		t.Errorf("a 400 was tried %d times", d.Attempts)
	}
	rcv.set(200, false)
	secret, err := f.wh.RegenerateSecret(ctx, webhooks.Helpdesk, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	k, err := f.desk.CreateTicket(ctx, f.session.ID, "Accepted", helpdesk.Contact{}, helpdesk.Options{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the delivery", func() bool { return len(rcv.got()) == 1 })
	c := rcv.got()[0]
	var p webhooks.TicketPayload
	if err := json.Unmarshal(c.body, &p); err != nil {
		t.Fatal(err)
	}
	if c.sig != webhooks.Sign(secret, c.body) || p.Ticket.Number != k.Ref() || p.Ticket.Title != "Accepted" || p.Ticket.Team.Name != "Support" || p.Event != "ticket.created" {
		t.Errorf("call %q: %+v", c.sig, p)
	}
}
