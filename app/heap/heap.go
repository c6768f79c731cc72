// Package heap decides how much garbage the server keeps between
// collections, and when it gives memory back.
//
// Go's default pace collects when the heap has grown by what the last
// collection kept. With thousands of live conversations every collection
// scans about two goroutine stacks per socket and tens of megabytes of heap:
// on two cores that is close to 100 ms of marking, and at 2,000 messages a
// second it came every two seconds and made the delivery tail (p99 18–31 ms
// against 8–9 ms with the collector off). So under load the heap may grow by
// a fixed headroom instead, never less than the default allows; and once
// the server goes quiet, its garbage is collected and the memory returned to
// the system, so that a burst does not leave its peak behind and idle
// visitors cost what they hold.
package heap

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Policy is the pace. The zero Headroom keeps Go's own pace (and the
// GOGC of the environment); the quiet release works either way.
type Policy struct {
	// Headroom is how far the heap may grow past what the last
	// collection kept before the next one starts.
	Headroom uint64
	// Quiet is an allocation rate, in bytes a second, below which the
	// server counts as quiet; QuietFor is how long it must stay below.
	Quiet    uint64
	QuietFor time.Duration
	// ReleaseMin is the least garbage and free heap worth a collection
	// and a return to the system; a quarter of the live heap when that
	// is more.
	ReleaseMin uint64
	// Every is how often the runtime's figures are read.
	Every time.Duration
}

// Default is the pace for a server that may use total bytes of memory: a
// headroom of an eighth of it, at most 512 MiB; quiet below 1 MiB of
// allocations a second (about a hundred messages) for 750 ms.
func Default(total uint64) Policy {
	return Policy{
		Headroom:   min(total/8, 512<<20),
		Quiet:      1 << 20,
		QuietFor:   750 * time.Millisecond,
		ReleaseMin: 16 << 20,
		Every:      250 * time.Millisecond,
	}
}

// Sample is what the policy reads of the runtime.
type Sample struct {
	Cycles  uint64 // collections completed
	Live    uint64 // heap the last collection kept
	Scanned uint64 // stacks and globals, which the pace counts with the live heap
	Allocs  uint64 // bytes allocated since the start
	Objects uint64 // heap occupied by objects, live or not yet swept
	Free    uint64 // heap free but not returned to the system
}

// Percent is the GOGC that gives the headroom over a live heap (and the
// stacks and globals the pace counts with it), never under Go's 100. Go
// also keeps the heap's goal above 4 MiB times GOGC/100, so the percent is
// capped where that floor would pass the headroom.
func Percent(headroom, live, scanned uint64) int {
	ceiling := max(headroom*100/(4<<20), 100)
	p := ceiling
	if base := live + scanned; base > 0 {
		p = min(headroom*100/base, ceiling)
	}
	return int(max(p, 100))
}

// Pacer holds the state between two readings.
type Pacer struct {
	p        Policy
	tune     bool
	percent  int
	cycles   uint64
	allocs   uint64
	at       time.Time
	quietAt  time.Time // zero: not quiet
	released time.Time
}

// releaseGap is the least time between two releases: one that freed little
// is not repeated at every reading.
const releaseGap = 5 * time.Second

// NewPacer starts a pacer; tune false leaves the pace to Go (GOGC set in
// the environment, or no headroom).
func NewPacer(p Policy, tune bool) *Pacer {
	return &Pacer{p: p, tune: tune && p.Headroom > 0}
}

// Step takes one reading and says what to do: a new GOGC (0: leave it)
// and whether to collect and give the memory back now.
func (pc *Pacer) Step(now time.Time, s Sample) (percent int, release bool) {
	if pc.tune && (s.Cycles != pc.cycles || pc.percent == 0) {
		if p := Percent(pc.p.Headroom, s.Live, s.Scanned); p != pc.percent {
			pc.percent, percent = p, p
		}
	}
	pc.cycles = s.Cycles

	quiet, since := false, pc.at
	if !pc.at.IsZero() {
		if d := now.Sub(pc.at).Seconds(); d > 0 {
			quiet = float64(s.Allocs-pc.allocs)/d < float64(pc.p.Quiet)
		}
	}
	pc.at, pc.allocs = now, s.Allocs
	if !quiet {
		pc.quietAt = time.Time{}
		return percent, false
	}
	if pc.quietAt.IsZero() {
		pc.quietAt = since // quiet from the reading before
	}
	if now.Sub(pc.quietAt) < pc.p.QuietFor || now.Sub(pc.released) < releaseGap {
		return percent, false
	}
	// What could go back: the free heap, and at most what the heap grew
	// since the last collection (some of it may be new live data, which
	// only the release's own collection can tell).
	garbage := s.Free
	if s.Objects > s.Live {
		garbage += s.Objects - s.Live
	}
	if garbage < max(pc.p.ReleaseMin, s.Live/4) {
		return percent, false
	}
	pc.released = now
	return percent, true
}

var names = []string{
	"/gc/cycles/total:gc-cycles",
	"/gc/heap/live:bytes",
	"/gc/scan/stack:bytes",
	"/gc/scan/globals:bytes",
	"/gc/heap/allocs:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/free:bytes",
}

// Read samples the runtime.
func Read(buf []metrics.Sample) Sample {
	metrics.Read(buf)
	v := func(i int) uint64 {
		if buf[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return buf[i].Value.Uint64()
	}
	return Sample{Cycles: v(0), Live: v(1), Scanned: v(2) + v(3), Allocs: v(4), Objects: v(5), Free: v(6)}
}

// NewBuf is the sample buffer Read fills.
func NewBuf() []metrics.Sample {
	buf := make([]metrics.Sample, len(names))
	for i, n := range names {
		buf[i].Name = n
	}
	return buf
}

// Run paces the collector until ctx ends.
func Run(ctx context.Context, p Policy, tune bool, log *slog.Logger) {
	if p.Every <= 0 {
		return
	}
	pc, buf := NewPacer(p, tune), NewBuf()
	t := time.NewTicker(p.Every)
	defer t.Stop()
	// The pace is the process's: give back the one found when Run ends
	// (a server started and stopped inside a longer-lived process).
	restore := false
	was := 0
	defer func() {
		if restore {
			debug.SetGCPercent(was)
		}
	}()
	for {
		s := Read(buf)
		percent, release := pc.Step(time.Now(), s)
		if percent > 0 {
			if prev := debug.SetGCPercent(percent); !restore {
				restore, was = true, prev
			}
		}
		if release {
			start := time.Now()
			debug.FreeOSMemory()
			log.Debug("quiet: heap collected and returned", "took", time.Since(start),
				"live_before_mib", s.Live>>20, "grown_mib", (s.Objects-min(s.Live, s.Objects))>>20, "free_mib", s.Free>>20)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Total is the memory this process may use: the smallest of its memory
// limit (GOMEMLIMIT), its control group's limits (a container's, or a
// systemd unit's MemoryMax) and the machine's memory; 0 when none of them
// can be read.
func Total() uint64 {
	limit := uint64(0)
	if l := debug.SetMemoryLimit(-1); l > 0 && l < math.MaxInt64 {
		limit = uint64(l)
	}
	return total("/", limit)
}

// total reads the limits under root (a directory standing for /).
func total(root string, limit uint64) uint64 {
	least := limit
	take := func(file string) {
		b, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			return
		}
		v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
		if err != nil || v == 0 || v >= 1<<60 { // "max", or v1's "no limit"
			return
		}
		if least == 0 || v < least {
			least = v
		}
	}
	// The process's group and every group above it: cgroup v2 ("0::/path",
	// memory.max) or v1's memory controller ("N:memory:/path").
	if b, err := os.ReadFile(filepath.Join(root, "proc/self/cgroup")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			base, file := "", ""
			if dir, ok := strings.CutPrefix(line, "0::"); ok {
				base, file = dir, "sys/fs/cgroup"
			} else if _, rest, ok := strings.Cut(line, ":"); ok {
				if dir, ok := strings.CutPrefix(rest, "memory:"); ok {
					base, file = dir, "sys/fs/cgroup/memory"
				}
			}
			if file == "" {
				continue
			}
			name := "memory.max"
			if file != "sys/fs/cgroup" {
				name = "memory.limit_in_bytes"
			}
			for dir := path.Clean("/" + base); ; dir = path.Dir(dir) {
				take(path.Join(file, dir, name))
				if dir == "/" {
					break
				}
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(root, "proc/meminfo")); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				if err == nil && kb > 0 && (least == 0 || kb<<10 < least) {
					least = kb << 10
				}
			}
		}
	}
	return least
}
