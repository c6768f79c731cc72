package livechat

import (
	"context"
	"errors"
	"sync"

	"parley/app/events"
	"parley/app/model"
	"parley/app/store"
)

// The waiting queue: a chat that comes while every available operator of
// its channel is at their maximum of concurrent chats waits, without an
// operator, and the first operator to free up takes the oldest waiting
// visitor. Waiting visitors hear their place in the line as it changes.

// EventQueue is the visitor frame with their place in the queue.
const EventQueue = "queue"

// QueueView is the queue frame's data: Position 1 is next.
type QueueView struct {
	SessionID string `json:"session_id"`
	Position  int    `json:"position"`
}

// queue runs the assignments on one goroutine; kicks coalesce, so a burst
// of freed operators costs one pass over the waiting line.
type queue struct {
	kicks   chan struct{}
	stop    chan struct{}
	stopped sync.Once
	wg      sync.WaitGroup

	mu    sync.Mutex       // one pass at a time, also for ServeQueue callers
	told  map[int64]int    // session id -> the position last pushed to its visitor
	lines map[int64]string // channel id -> its line as its operators last heard of it
}

func newQueue() *queue {
	return &queue{kicks: make(chan struct{}, 1), stop: make(chan struct{}), told: map[int64]int{}}
}

func (q *queue) kick() {
	select {
	case q.kicks <- struct{}{}:
	default:
	}
}

func (q *queue) start(serve func(context.Context) error) {
	q.wg.Add(1)
	go func() {
		defer q.wg.Done()
		for {
			select {
			case <-q.stop:
				return
			case <-q.kicks:
				_ = serve(context.Background()) // serve logs its own failures
			}
		}
	}()
}

func (q *queue) close() {
	q.stopped.Do(func() { close(q.stop) })
	q.wg.Wait()
}

// queueEvent wakes the queue whenever an operator may have a free place
// (a conversation ended, was left or handed over) or a visitor joined it.
func (s *Service) queueEvent(e events.Event) {
	switch e := e.(type) {
	case events.SessionClosed, events.OperatorLeft, events.SessionTransferred:
		s.queue.kick()
	case events.SessionStarted:
		if !e.Session.QueuedAt.IsZero() {
			s.queue.kick()
		}
	}
}

// ServeQueue gives waiting visitors to the operators who can take them,
// the channel whose first visitor waited longest first, each channel's
// oldest visitor first, then tells every visitor still waiting their new
// place. It runs after every change that can free an operator; calling it
// at any other time is harmless.
func (s *Service) ServeQueue(ctx context.Context) error { return s.serveQueue(ctx) }

func (s *Service) serveQueue(ctx context.Context) error {
	s.queue.mu.Lock()
	defer s.queue.mu.Unlock()
	channels, err := s.st.WaitingChannels(ctx)
	if err != nil {
		s.log.Error("queue: waiting channels", "error", err)
		return err
	}
	told := make(map[int64]int, len(s.queue.told))
	lines, counts := map[int64]string{}, map[int64]int{}
	var errs []error
	for _, ch := range channels {
		if err := s.serveChannel(ctx, ch); err != nil {
			s.log.Error("queue: assign waiting visitors", "channel_id", ch, "error", err)
			errs = append(errs, err)
		}
		waiting, err := s.st.WaitingSessions(ctx, ch)
		if err != nil {
			errs = append(errs, err)
			if k, ok := s.queue.lines[ch]; ok {
				lines[ch] = k // unknown this time: not news
			}
			continue
		}
		ids := make([]int64, len(waiting))
		for i, x := range waiting {
			ids[i] = x.ID
		}
		if len(ids) > 0 {
			lines[ch], counts[ch] = lineKey(ids), len(ids)
		}
		for _, x := range waiting {
			told[x.ID] = x.QueuePosition
			if s.queue.told[x.ID] != x.QueuePosition {
				s.pub.Publish(VisitorTopic(x.VisitorID), EventQueue, QueueView{SessionID: x.PublicID, Position: x.QueuePosition})
			}
		}
	}
	s.queue.told = told
	s.tellOperators(ctx, s.queue.lines, lines, counts)
	s.queue.lines = lines
	return errors.Join(errs...)
}

// serveChannel assigns a channel's waiting visitors while someone of it
// can take one more chat.
func (s *Service) serveChannel(ctx context.Context, channelID int64) error {
	info, err := s.Info(ctx, channelID)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// Each pass assigns one visitor or rules out one operator (full
	// meanwhile), so the loop ends; the bound is a guard, not a limit.
	for range 1000 {
		next, err := s.st.NextWaiting(ctx, channelID)
		if err != nil || next == nil {
			return err
		}
		// The operator is chosen for the visitor first in line, whom
		// AssignWaiting gives them (the queue's passes run one at a time).
		opID, fig, err := s.pickOperator(ctx, info, info.OperatorIDs, 0, s.sessionLanguage(ctx, next))
		if errors.Is(err, ErrNoOperator) {
			return nil
		}
		if err != nil {
			return err
		}
		id, err := s.st.AssignWaiting(ctx, channelID, opID, chatNameOf(fig), chatLimitOf(info, fig.Max))
		if errors.Is(err, store.ErrOperatorFull) {
			continue // a chat started meanwhile took their last place
		}
		if err != nil || id == 0 {
			return err
		}
		if err := s.assigned(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// assigned tells everyone that a waiting conversation has its operator:
// the visitor reads who joined, the operator gets it with its history.
func (s *Service) assigned(ctx context.Context, id int64) error {
	x, err := s.st.Session(ctx, id)
	if err != nil {
		return err
	}
	s.emit(events.SessionAssigned{Session: copySession(x)})
	s.emit(events.OperatorJoined{Session: copySession(x), OperatorID: x.OperatorID})
	return s.postNotice(ctx, x, &model.Notice{Code: NoticeOperatorJoined, Args: map[string]string{"operator": x.OperatorName}})
}

// chatLimitOf is an operator's maximum of concurrent chats in a channel:
// their own (own, when not 0), else the channel's; 0 is none.
func chatLimitOf(info *ChannelInfo, own int) int {
	if own == 0 {
		return info.Routing.MaxChats
	}
	return own
}
