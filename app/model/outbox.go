package model

import (
	"encoding/json"
	"time"
)

// OutboxStatus is where an outbox item stands.
type OutboxStatus string

// Outbox statuses.
const (
	OutboxQueued  OutboxStatus = "queued"
	OutboxSending OutboxStatus = "sending"
	OutboxSent    OutboxStatus = "sent"
	OutboxFailed  OutboxStatus = "failed"
)

// OutboxItem is something to deliver outside Parley (a mail, a webhook
// call), kept until it is delivered or refused for good.
type OutboxItem struct {
	ID            int64           `json:"id"`
	Kind          string          `json:"kind"`
	Ref           string          `json:"ref"`
	Payload       json.RawMessage `json:"payload"`
	Status        OutboxStatus    `json:"status"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at"`
	LastError     string          `json:"last_error"`
	CreatedAt     time.Time       `json:"created_at"`
	DoneAt        time.Time       `json:"done_at"`
}
