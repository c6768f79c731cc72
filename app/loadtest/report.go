package loadtest

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

// latencies collects durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.d)
}

// Summary is a latency distribution's percentiles.
type Summary struct {
	N                             int
	P50, P90, P99, P999, Max, Avg time.Duration
}

func (l *latencies) summary() Summary {
	l.mu.Lock()
	d := slices.Clone(l.d)
	l.mu.Unlock()
	return summarize(d)
}

func summarize(d []time.Duration) Summary {
	if len(d) == 0 {
		return Summary{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	at := func(q float64) time.Duration {
		i := int(q*float64(len(d))+0.5) - 1
		return d[min(max(i, 0), len(d)-1)]
	}
	return Summary{N: len(d), P50: at(0.50), P90: at(0.90), P99: at(0.99), P999: at(0.999), Max: d[len(d)-1], Avg: sum / time.Duration(len(d))}
}

func (s Summary) String() string {
	if s.N == 0 {
		return "–"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  p99.9 %s  max %s", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.P999), ms(s.Max))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// Write prints the report for a person, in l's language.
func (r *Report) Write(w io.Writer, l Translator) {
	say := func(s string) { fmt.Fprintln(w, s) }
	say(l.T("visitors: %d idle, %d chatting; operators: %d; the run took %s", r.Idle, r.Chatting, r.Operators, r.Elapsed.Round(time.Millisecond)))
	if r.Idle > 0 {
		say(l.T("idle visitors connected: %.0f per second (page view and socket)", r.IdleConnectRate))
		r.ConnectCPU.write(say, l, l.T("CPU while they connected"))
	}
	if r.Chatting > 0 {
		say(l.T("conversations started: %.0f per second (session start and socket)", r.ChattingConnectRate))
	}
	if r.RSSBefore > 0 {
		say(l.T("server memory: %s before, %s at the end", mib(r.RSSBefore), mib(r.RSSEnd)))
		if r.RSSFileBefore > 0 {
			say(l.T("of the memory before, %s is the executable's code and tables, mapped from its file: pages shared with the page cache, which the kernel can drop and read back", mib(r.RSSFileBefore)))
		}
		if r.Idle > 0 && r.RSSAfterIdle > 0 {
			say(l.T("server memory with the idle visitors: %s, %.1f KiB per idle visitor", mib(r.RSSAfterIdle), float64(r.RSSAfterIdle-r.RSSBefore)/float64(r.Idle)/1024))
		}
	}
	if r.Scheduled > 0 {
		live := r.Delivered - r.Late
		pct := 0.0
		if r.Acked > 0 {
			pct = 100 * float64(live) / float64(r.Acked)
		}
		say(l.T("messages: %d scheduled, %d sent, %d acknowledged (%.0f per second), %d delivered live to operators (%.2f %%)", r.Scheduled, r.Sent, r.Acked, r.Achieved, live, pct))
		if missed := r.AckedNotDelivered + r.Late; missed > 0 {
			say(l.T("acknowledged but not delivered live: %d (%d of them arrived after the grace period)", missed, r.Late))
		}
		say(l.T("acknowledgement (post to 201), from the schedule: %s", r.Ack))
		say(l.T("delivery (post to operator socket), from the schedule: %s", r.Delivery))
		say(l.T("the loader's own lag behind the schedule: %s", r.SendLag))
		r.SendCPU.write(say, l, l.T("CPU while sending"))
	}
	if len(r.Errors) == 0 {
		say(l.T("errors: none"))
		return
	}
	kinds := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	say(l.T("errors:"))
	for _, k := range kinds {
		fmt.Fprintf(w, "  %6d  %s\n", r.Errors[k], k)
	}
}

// write says where a phase's CPU went; nothing where /proc is missing.
func (c CPU) write(say func(string), l Translator, phase string) {
	if c.Cores == 0 {
		return
	}
	if c.Server > 0 {
		say(l.T("%s: server %.2f cores, load tool %.2f, the machine %.0f %% busy (%d cores)", phase, c.Server, c.Loader, 100*c.MachineBusy, c.Cores))
		return
	}
	say(l.T("%s: load tool %.2f cores, the machine %.0f %% busy (%d cores)", phase, c.Loader, 100*c.MachineBusy, c.Cores))
}
