// Package metrics exposes Parley's figures in the Prometheus text format:
// HTTP requests by route and status, the group-commit writer (messages,
// batch sizes, commit latency, queue depth), open sockets by kind, open
// conversations, the event bus's dropped events, the outbox's waiting
// deliveries and the database's size.
//
// It uses github.com/VictoriaMetrics/metrics rather than the Prometheus
// client: the same text format and histograms with no dependency tree
// (prometheus/client_golang brings protobuf and a dozen modules), which
// suits a single small binary.
package metrics

import (
	"context"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"parley/app/events"
	"parley/app/livechat"
	"parley/app/outbox"
	"parley/app/realtime"
)

// Sources are the parts whose state is read at each scrape.
type Sources struct {
	Livechat *livechat.Service
	Hub      *realtime.Hub
	Events   *events.Bus
	Outbox   *outbox.Worker
	DBPath   string
}

// Metrics is one process's set of metrics.
type Metrics struct {
	set      *vm.Set
	commits  *vm.Histogram
	batch    *vm.Histogram
	messages *vm.Counter
	// requests keeps each route's counter and histogram once made, so a
	// request does not build its metrics' names again (three strings on
	// every request of the chat path).
	requests sync.Map // requestKey → *requestMetrics
}

type requestKey struct {
	route, method string
	status        int
}

type requestMetrics struct {
	count *vm.Counter
	took  *vm.Histogram
}

// New registers every metric; the gauges read src when scraped.
func New(src Sources) *Metrics {
	s := vm.NewSet()
	m := &Metrics{set: s,
		commits:  s.NewHistogram(`parley_commit_duration_seconds`),
		batch:    s.NewHistogram(`parley_commit_batch_messages`),
		messages: s.NewCounter(`parley_messages_committed_total`),
	}
	s.NewGauge(`parley_message_queue_depth`, func() float64 { return float64(src.Livechat.QueueDepth()) })
	for _, kind := range []string{"visitor", "operator"} {
		s.NewGauge(`parley_sockets{kind="`+kind+`"}`, func() float64 { return float64(src.Hub.Connections()[kind]) })
	}
	// How often a visitor's request found its session in memory.
	s.NewGauge(`parley_session_cache_hits_total`, func() float64 { h, _ := src.Livechat.SessionCacheStats(); return float64(h) })
	s.NewGauge(`parley_session_cache_misses_total`, func() float64 { _, m := src.Livechat.SessionCacheStats(); return float64(m) })
	s.NewGauge(`parley_sockets_dropped_total`, func() float64 { return float64(src.Hub.Dropped()) })
	s.NewGauge(`parley_open_conversations`, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := src.Livechat.CountOpen(ctx, 0)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	for _, sub := range []string{"realtime", "livechat", "bots"} {
		s.NewGauge(`parley_events_dropped_total{subscriber="`+sub+`"}`, func() float64 { return float64(src.Events.Dropped(sub)) })
	}
	for _, kind := range []string{"mail", "webhook"} {
		s.NewGauge(`parley_outbox_depth{kind="`+kind+`"}`, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := src.Outbox.Depth(ctx, kind)
			if err != nil {
				return -1
			}
			return float64(n)
		})
	}
	s.NewGauge(`parley_database_bytes`, func() float64 {
		var n int64
		for _, suffix := range []string{"", "-wal"} {
			if fi, err := os.Stat(src.DBPath + suffix); err == nil {
				n += fi.Size()
			}
		}
		return float64(n)
	})
	return m
}

// ObserveCommit records one group commit.
func (m *Metrics) ObserveCommit(messages int, took time.Duration) {
	m.commits.Update(took.Seconds())
	m.batch.Update(float64(messages))
	m.messages.Add(messages)
}

// ObserveRequest records one HTTP request by route pattern (never the raw
// URL, whose ids would make unbounded series).
func (m *Metrics) ObserveRequest(route, method string, status int, took time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	k := requestKey{route, method, status}
	r, ok := m.requests.Load(k)
	if !ok {
		labels := `{route="` + route + `",method="` + method + `",status="` + strconv.Itoa(status) + `"}`
		r, _ = m.requests.LoadOrStore(k, &requestMetrics{
			count: m.set.GetOrCreateCounter(`parley_http_requests_total` + labels),
			took:  m.set.GetOrCreateHistogram(`parley_http_request_duration_seconds{route="` + route + `"}`),
		})
	}
	rm := r.(*requestMetrics)
	rm.count.Inc()
	rm.took.Update(took.Seconds())
}

// Write writes every metric in the Prometheus text format.
func (m *Metrics) Write(w io.Writer) {
	m.set.WritePrometheus(w)
	vm.WriteProcessMetrics(w)
}
