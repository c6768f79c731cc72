package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"parley/app/model"
)

// ChatStart is what a chat's start writes: its visitor, and its session
// with the operator Route chooses.
type ChatStart struct {
	// Visitor is created when its ID is 0 (known by TokenHash), else
	// updated (UpdateVisitor's fields).
	Visitor   *model.Visitor
	TokenHash string
	// Session is inserted as CreateSession does, for Visitor.
	Session *model.Session
	// Route, when set, chooses the session's operator from the queue and
	// the figures of the session's channel's operators (see
	// OperatorRouting, the load from LoadSince) read in the same
	// transaction: an operator, or none and whether the chat waits in the
	// queue. The store refuses an operator at their maximum (limit, 0 for
	// none) with ErrOperatorFull.
	Route     func(waiting int, figs map[int64]RoutingFigures) (Routed, error)
	LoadSince time.Time
	// QueuedAt is when a chat Route says waits joins the queue.
	QueuedAt time.Time
}

// Routed is Route's choice: the operator (0: none), the name the visitor
// sees, their maximum of open chats (0: none), and whether the chat waits.
type Routed struct {
	OperatorID int64
	Name       string
	Limit      int
	Queued     bool
}

// StartChat writes a chat's start in one transaction: the routing read,
// the visitor and the session. Read on the writer connection, whose page
// cache no commit empties, the figures cost a fraction of a read from the
// pool, and no other start can take the chosen operator's last place
// between the choice and the session. The visitor's LastOperatorID is the
// chosen operator; the session's operator, name and queue time are set
// from the choice.
func (s *Store) StartChat(ctx context.Context, c *ChatStart) error {
	v, x := c.Visitor, c.Session
	fresh := v.ID == 0
	lastOp := v.LastOperatorID
	gen := s.live.generation()
	now := time.Now().UTC()
	err := s.Tx(ctx, func(tx *sql.Tx) error {
		// A batch that fails as a whole runs again alone: start from the
		// caller's values each time.
		if fresh {
			v.ID = 0
		}
		v.LastOperatorID = lastOp
		if c.Route != nil {
			rows, err := s.txQuery(ctx, tx, routingSQL, x.ChannelID, ms(c.LoadSince))
			if err != nil {
				return fmt.Errorf("store: operator routing: %w", err)
			}
			waiting, figs, err := scanRouting(rows)
			if err != nil {
				return err
			}
			r, err := c.Route(waiting, figs)
			if err != nil {
				return err
			}
			if r.OperatorID != 0 && r.Limit > 0 && figs[r.OperatorID].Open >= r.Limit {
				return fmt.Errorf("store: start chat: operator %d has %d open sessions: %w", r.OperatorID, figs[r.OperatorID].Open, ErrOperatorFull)
			}
			x.OperatorID, x.OperatorName, x.QueuedAt = r.OperatorID, r.Name, time.Time{}
			if r.Queued {
				x.QueuedAt = c.QueuedAt
			}
			if r.OperatorID != 0 {
				v.LastOperatorID = r.OperatorID
			}
		}
		if fresh {
			if err := s.txCreateVisitor(ctx, tx, v, c.TokenHash, now); err != nil {
				return err
			}
		} else if err := s.txUpdateVisitor(ctx, tx, v, now); err != nil {
			return err
		}
		x.VisitorID = v.ID
		return s.txInsertSession(ctx, tx, x)
	})
	if err != nil {
		if fresh {
			v.ID = 0 // nothing of the visitor was kept
		}
		v.LastOperatorID = lastOp
		return err
	}
	if fresh {
		s.live.putVisitor(gen, c.TokenHash, v.ID)
		v.CreatedAt = now
	}
	v.LastSeenAt = now
	return nil
}
