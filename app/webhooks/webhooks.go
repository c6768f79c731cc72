// Package webhooks hands new leads and tickets to a business's own tools:
// each sales or helpdesk team may have a URL, and every lead (ticket) the
// team gets is POSTed there as JSON, signed with the team's secret, through
// the durable outbox (committed with the lead, retried with back-off until
// the receiver answers 2xx).
package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"parley/app/model"
	"parley/app/outbox"
	"parley/app/store"
)

// Kind is the outbox kind of webhook calls.
const Kind = "webhook"

// Team kinds.
const (
	Sales    = "sales"
	Helpdesk = "helpdesk"
)

// SignatureHeader carries "sha256=" and the hex HMAC-SHA256 of the body
// under the team's secret.
const SignatureHeader = "X-Parley-Signature"

// MaxURL bounds a webhook URL.
const MaxURL = 2000

// Timeout is the longest a receiver may take to answer one call.
const Timeout = 10 * time.Second

// Service signs and delivers webhook calls.
type Service struct {
	st      *store.Store
	client  *http.Client
	baseURL string
}

// New returns the service; baseURL makes the links in payloads absolute.
// client nil means a client with Timeout.
func New(st *store.Store, baseURL string, client *http.Client) *Service {
	if client == nil {
		client = &http.Client{Timeout: Timeout}
	}
	return &Service{st: st, client: client, baseURL: strings.TrimRight(baseURL, "/")}
}

// Register makes w deliver the outbox's webhook calls.
func (s *Service) Register(w *outbox.Worker) { w.Handle(Kind, s.deliver) }

// Ref names a team in the outbox ("sales_team:3").
func Ref(kind string, teamID int64) string { return kind + "_team:" + strconv.FormatInt(teamID, 10) }

// job is what the outbox keeps for one call: the body is fixed when the
// lead is created; the URL and secret are the team's when it is sent, so
// a corrected URL or a new secret applies to calls still waiting.
type job struct {
	Team   string          `json:"team"`
	TeamID int64           `json:"team_id"`
	Event  string          `json:"event"`
	Body   json.RawMessage `json:"body"`
}

// LeadPayload is the JSON POSTed for a new lead (docs/api.md).
type LeadPayload struct {
	Event     string    `json:"event"` // "lead.created"
	CreatedAt time.Time `json:"created_at"`
	Lead      LeadData  `json:"lead"`
}

// LeadData is the lead in a payload.
type LeadData struct {
	ID          int64     `json:"id"`
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	ContactName string    `json:"contact_name"`
	Email       string    `json:"email"`
	Phone       string    `json:"phone"`
	Country     string    `json:"country"`
	Team        teamRef   `json:"team"`
	Stage       string    `json:"stage"`
	Source      string    `json:"source"`
	Notes       string    `json:"notes"`
	SessionID   string    `json:"session_id"`
	CreatedAt   time.Time `json:"created_at"`
}

type teamRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// TicketPayload is the JSON POSTed for a new ticket (docs/api.md).
type TicketPayload struct {
	Event     string     `json:"event"` // "ticket.created"
	CreatedAt time.Time  `json:"created_at"`
	Ticket    TicketData `json:"ticket"`
}

// TicketData is the ticket in a payload.
type TicketData struct {
	ID          int64     `json:"id"`
	Number      string    `json:"number"` // "#01"
	URL         string    `json:"url"`
	Title       string    `json:"title"`
	Team        teamRef   `json:"team"`
	Status      string    `json:"status"`
	Description string    `json:"description"`
	ContactName string    `json:"contact_name"`
	Email       string    `json:"email"`
	Phone       string    `json:"phone"`
	SessionID   string    `json:"session_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// LeadHook enqueues the call for a new lead of a team with a webhook,
// inside the transaction that creates it.
func (s *Service) LeadHook(l *model.Lead) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		if l.TeamID == 0 {
			return nil
		}
		body, err := json.Marshal(LeadPayload{Event: "lead.created", CreatedAt: l.CreatedAt, Lead: LeadData{
			ID: l.ID, URL: s.baseURL + "/admin/leads/" + strconv.FormatInt(l.ID, 10), Title: l.Title, ContactName: l.ContactName,
			Email: l.Email, Phone: l.Phone, Country: l.Country, Team: teamRef{l.TeamID, l.TeamName}, Stage: string(l.Stage),
			Source: l.Source, Notes: l.Notes, SessionID: l.SessionPub, CreatedAt: l.CreatedAt}})
		if err != nil {
			return err
		}
		return s.enqueue(tx, Sales, l.TeamID, "lead.created", body)
	}
}

// TicketHook enqueues the call for a new ticket of a team with a webhook,
// inside the transaction that creates it.
func (s *Service) TicketHook(k *model.Ticket) func(*sql.Tx) error {
	return func(tx *sql.Tx) error {
		if k.TeamID == 0 {
			return nil
		}
		body, err := json.Marshal(TicketPayload{Event: "ticket.created", CreatedAt: k.CreatedAt, Ticket: TicketData{
			ID: k.ID, Number: k.Ref(), URL: s.baseURL + "/admin/helpdesk/tickets/" + strconv.FormatInt(k.ID, 10), Title: k.Title,
			Team: teamRef{k.TeamID, k.TeamName}, Status: string(k.Status), Description: k.Description, ContactName: k.ContactName,
			Email: k.Email, Phone: k.Phone, SessionID: k.SessionPub, CreatedAt: k.CreatedAt}})
		if err != nil {
			return err
		}
		return s.enqueue(tx, Helpdesk, k.TeamID, "ticket.created", body)
	}
}

func (s *Service) enqueue(tx *sql.Tx, team string, teamID int64, event string, body []byte) error {
	u, err := store.TeamWebhookURLTx(context.Background(), tx, team, teamID)
	if err != nil || u == "" {
		return err
	}
	payload, err := json.Marshal(job{Team: team, TeamID: teamID, Event: event, Body: body})
	if err != nil {
		return err
	}
	return s.st.EnqueueTx(tx, &model.OutboxItem{Kind: Kind, Ref: Ref(team, teamID), Payload: payload})
}

// Sign is the signature header's value for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// deliver POSTs one call. A 2xx answer delivers it; a 4xx other than 408
// and 429 refuses it for good (the receiver will not change its mind); no
// answer, a timeout or a 5xx is retried by the outbox with back-off.
func (s *Service) deliver(ctx context.Context, it model.OutboxItem) error {
	var j job
	if err := json.Unmarshal(it.Payload, &j); err != nil {
		return outbox.Permanent(fmt.Errorf("webhook %d: bad payload: %w", it.ID, err))
	}
	u, secret, err := s.st.TeamWebhook(ctx, j.Team, j.TeamID)
	if errors.Is(err, model.ErrNotFound) || (err == nil && u == "") {
		return outbox.Permanent(errors.New("the team no longer has a webhook"))
	}
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(j.Body))
	if err != nil {
		return outbox.Permanent(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Parley-Webhook")
	req.Header.Set("X-Parley-Event", j.Event)
	req.Header.Set("X-Parley-Delivery", strconv.FormatInt(it.ID, 10))
	req.Header.Set(SignatureHeader, Sign(secret, j.Body))
	res, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 200))
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusRequestTimeout && res.StatusCode != http.StatusTooManyRequests:
		return outbox.Permanent(fmt.Errorf("HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(snippet))))
	}
	return fmt.Errorf("HTTP %d: %s", res.StatusCode, strings.TrimSpace(string(snippet)))
}

// CheckURL refuses what is not an absolute http(s) URL with a host.
func CheckURL(raw string) error {
	if utf8.RuneCountInString(raw) > MaxURL {
		return &model.FieldError{Field: "webhook_url", Message: "The URL is too long: at most %d characters.", Args: []any{MaxURL}}
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return &model.FieldError{Field: "webhook_url", Message: "Enter an http:// or https:// URL, such as https://crm.example.com/hooks/parley."}
	}
	return nil
}

// SetURL sets (or, with "", removes) a team's webhook URL. A team getting
// its first URL gets a secret too, returned so the admin can copy it now:
// it is shown this once.
func (s *Service) SetURL(ctx context.Context, team string, teamID int64, raw string) (newSecret string, err error) {
	raw = strings.TrimSpace(raw)
	if raw != "" {
		if err := CheckURL(raw); err != nil {
			return "", err
		}
	}
	_, secret, err := s.st.TeamWebhook(ctx, team, teamID)
	if err != nil {
		return "", err
	}
	if raw != "" && secret == "" {
		newSecret = NewSecret()
	}
	return newSecret, s.st.SetTeamWebhook(ctx, team, teamID, raw, newSecret)
}

// RegenerateSecret gives a team a new secret, returned to be shown once;
// calls still waiting are signed with it.
func (s *Service) RegenerateSecret(ctx context.Context, team string, teamID int64) (string, error) {
	u, _, err := s.st.TeamWebhook(ctx, team, teamID)
	if err != nil {
		return "", err
	}
	secret := NewSecret()
	return secret, s.st.SetTeamWebhook(ctx, team, teamID, u, secret)
}

// NewSecret is 32 random bytes, hex.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported systems
	}
	return hex.EncodeToString(b)
}

// Webhook is a team's webhook as its form shows it.
type Webhook struct {
	URL        string
	HasSecret  bool
	Deliveries []model.OutboxItem
}

// Of returns a team's webhook and its latest deliveries.
func (s *Service) Of(ctx context.Context, team string, teamID int64) (*Webhook, error) {
	u, secret, err := s.st.TeamWebhook(ctx, team, teamID)
	if err != nil {
		return nil, err
	}
	d, err := s.st.WebhookDeliveries(ctx, Ref(team, teamID), 20)
	if err != nil {
		return nil, err
	}
	return &Webhook{URL: u, HasSecret: secret != "", Deliveries: d}, nil
}
