package heap

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

const mib = 1 << 20

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		name                    string
		headroom, live, scanned uint64
		want                    int
	}{
		// 5,000 conversations: 48 MiB live, 10 MiB of stacks.
		{"busy server", 512 * mib, 48 * mib, 10 * mib, 882},
		{"headroom below the live heap keeps Go's pace", 64 * mib, 200 * mib, 10 * mib, 100},
		// 2 MiB live would ask for 25,600 %; Go's 4 MiB floor times that
		// would be 1 GiB, past the headroom.
		{"small heap capped by Go's floor", 512 * mib, 2 * mib, 0, 12800},
		{"nothing live yet", 256 * mib, 0, 0, 6400},
		{"tiny headroom", 1 * mib, 0, 0, 100},
	} {
		if got := Percent(c.headroom, c.live, c.scanned); got != c.want {
			t.Errorf("%s: Percent(%d MiB, %d MiB, %d MiB) = %d, want %d", c.name, c.headroom/mib, c.live/mib, c.scanned/mib, got, c.want)
		}
	}
}

func TestDefault(t *testing.T) {
	if h := Default(1 << 30).Headroom; h != 128*mib {
		t.Errorf("1 GiB machine: headroom %d MiB, want 128", h/mib)
	}
	if h := Default(24 << 30).Headroom; h != 512*mib {
		t.Errorf("24 GiB machine: headroom %d MiB, want the 512 MiB cap", h/mib)
	}
	if h := Default(0).Headroom; h != 0 {
		t.Errorf("unknown memory: headroom %d, want 0 (Go's pace)", h)
	}
}

// pacing drives a Pacer with readings a quarter of a second apart.
type pacing struct {
	t  *testing.T
	pc *Pacer
	at time.Time
	s  Sample
}

func newPacing(t *testing.T, tune bool) *pacing {
	p := Default(4 << 30) // 512 MiB headroom
	return &pacing{t: t, pc: NewPacer(p, tune), at: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
}

// step advances a quarter second during which alloc bytes were allocated.
func (p *pacing) step(alloc uint64) (int, bool) {
	p.at = p.at.Add(250 * time.Millisecond)
	p.s.Allocs += alloc
	p.s.Objects += alloc
	return p.pc.Step(p.at, p.s)
}

func TestPacerSetsThePercentAfterEachCollection(t *testing.T) {
	p := newPacing(t, true)
	p.s = Sample{Cycles: 3, Live: 48 * mib, Scanned: 10 * mib, Objects: 48 * mib}
	if got, _ := p.step(0); got != 882 {
		t.Fatalf("first reading set %d, want 882", got)
	}
	if got, _ := p.step(10 * mib); got != 0 {
		t.Fatalf("no collection since: set %d, want nothing", got)
	}
	p.s.Cycles, p.s.Live, p.s.Objects = 4, 96*mib, 96*mib
	if got, _ := p.step(10 * mib); got != 483 {
		t.Fatalf("after a collection that kept 96 MiB: set %d, want 483", got)
	}
	p.s.Cycles++
	if got, _ := p.step(10 * mib); got != 0 {
		t.Fatalf("a collection that kept the same: set %d, want nothing (unchanged)", got)
	}

	off := newPacing(t, false)
	off.s = p.s
	for range 3 {
		off.s.Cycles++
		if got, _ := off.step(0); got != 0 {
			t.Fatalf("untuned pacer set GOGC %d", got)
		}
	}
}

func TestPacerReleasesOnceQuiet(t *testing.T) {
	p := newPacing(t, true)
	p.s = Sample{Cycles: 1, Live: 40 * mib, Objects: 40 * mib}
	p.step(0)
	// Busy: 40 MiB a second.
	for i := range 8 {
		if _, rel := p.step(10 * mib); rel {
			t.Fatalf("released while busy (reading %d)", i)
		}
	}
	// Quiet: 64 KiB a quarter second, 256 KiB/s, under the 1 MiB/s line.
	// Three quiet quarters make 750 ms.
	for i := range 2 {
		if _, rel := p.step(64 << 10); rel {
			t.Fatalf("released after %d quiet readings, before 750 ms", i+1)
		}
	}
	if _, rel := p.step(64 << 10); !rel {
		t.Fatalf("not released after 750 ms of quiet with %d MiB of garbage", (p.s.Objects-p.s.Live)/mib)
	}
	// What the release did: a collection, nothing left to give back.
	p.s.Cycles++
	p.s.Objects, p.s.Free = p.s.Live, 0
	for i := range 40 {
		if _, rel := p.step(64 << 10); rel {
			t.Fatalf("released again %d readings later with %d MiB of garbage", i+1, (p.s.Objects-p.s.Live)/mib)
		}
	}
	// A burst, then quiet again: released once more.
	for range 4 {
		p.step(20 * mib)
	}
	released := false
	for range 4 {
		if _, rel := p.step(0); rel {
			released = true
		}
	}
	if !released {
		t.Fatal("not released after a second burst and a second of quiet")
	}
}

func TestPacerKeepsSmallGarbage(t *testing.T) {
	p := newPacing(t, true)
	// 200 MiB live (10,000 idle visitors): a quarter of it, 50 MiB, is the
	// least garbage worth a collection.
	p.s = Sample{Cycles: 1, Live: 200 * mib, Objects: 200 * mib, Free: 20 * mib}
	p.step(0)
	p.s.Objects += 20 * mib
	for i := range 20 {
		if _, rel := p.step(0); rel {
			t.Fatalf("released 40 MiB of garbage and free heap over a 200 MiB live heap (reading %d)", i)
		}
	}
	p.s.Objects += 20 * mib
	if _, rel := p.step(0); !rel {
		t.Fatal("60 MiB of garbage and free heap over 200 MiB live, quiet for seconds: not released")
	}
}

// run runs the pacer on this test's own runtime until the returned stop.
func run(t *testing.T, p Policy, tune bool) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Run(ctx, p, tune, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	return func() { cancel(); <-done }
}

func readUint(name string) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var sink [][]byte

// TestRunCollectsWhenQuiet: garbage made, then nothing allocated, is
// collected by a forced collection. The collector is off meanwhile, so
// nothing else collects it.
func TestRunCollectsWhenQuiet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := readUint("/gc/cycles/forced:gc-cycles")
	stop := run(t, Policy{Quiet: 1 * mib, QuietFor: 100 * time.Millisecond, ReleaseMin: 8 * mib, Every: 20 * time.Millisecond}, false)
	defer stop()
	for range 64 {
		sink = append(sink, make([]byte, mib))
	}
	sink = nil

	deadline := time.Now().Add(10 * time.Second)
	for readUint("/gc/cycles/forced:gc-cycles") == before {
		if time.Now().After(deadline) {
			t.Fatal("64 MiB of garbage: no forced collection within 10 s of quiet")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRunSetsThePace: with a headroom, the runtime's GOGC becomes the
// policy's; without tuning it stays what it was.
func TestRunSetsThePace(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	p := Policy{Headroom: 256 * mib, Quiet: 1 * mib, QuietFor: time.Hour, ReleaseMin: 8 * mib, Every: 10 * time.Millisecond}
	stop := run(t, p, false)
	time.Sleep(100 * time.Millisecond)
	stop()
	if got := readUint("/gc/gogc:percent"); got != 100 {
		t.Fatalf("untuned: GOGC %d, want 100 untouched", got)
	}

	debug.SetGCPercent(150)
	stop = run(t, p, true)
	deadline := time.Now().Add(10 * time.Second)
	for readUint("/gc/gogc:percent") == 150 {
		if time.Now().After(deadline) {
			stop()
			t.Fatal("GOGC still 150 after 10 s with a 256 MiB headroom")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := readUint("/gc/gogc:percent"); got <= 150 {
		t.Errorf("paced GOGC %d, want above 150 for a 256 MiB headroom", got)
	}
	stop()
	if got := readUint("/gc/gogc:percent"); got != 150 {
		t.Errorf("GOGC after Run ended: %d, want the 150 it found", got)
	}
}

func TestTotal(t *testing.T) {
	total := Total()
	if total == 0 {
		t.Skip("this system says nothing of its memory (no /proc/meminfo)")
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(64 * mib))
	if got := Total(); got != min(total, 64*mib) {
		t.Errorf("with GOMEMLIMIT at 64 MiB: Total() = %d MiB, want %d", got/mib, min(total, 64*mib)/mib)
	}
}

func TestTotalReadsTheLimits(t *testing.T) {
	write := func(root, name, text string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	machine := func() string {
		root := t.TempDir()
		write(root, "proc/meminfo", "MemTotal:        2048000 kB\nMemFree:          100000 kB\n")
		return root
	}

	root := machine()
	if got := total(root, 0); got != 2048000<<10 {
		t.Errorf("machine only: %d, want MemTotal", got)
	}
	if got := total(root, 256*mib); got != 256*mib {
		t.Errorf("GOMEMLIMIT 256 MiB: %d MiB, want 256", got/mib)
	}

	// A systemd unit with MemoryMax=512M in a slice without a limit.
	root = machine()
	write(root, "proc/self/cgroup", "0::/system.slice/parley.service\n")
	write(root, "sys/fs/cgroup/system.slice/memory.max", "max\n")
	write(root, "sys/fs/cgroup/system.slice/parley.service/memory.max", "536870912\n")
	if got := total(root, 0); got != 512*mib {
		t.Errorf("unit's MemoryMax: %d MiB, want 512", got/mib)
	}
	// A limit on the slice above binds too.
	write(root, "sys/fs/cgroup/system.slice/memory.max", "268435456\n")
	if got := total(root, 0); got != 256*mib {
		t.Errorf("slice's limit: %d MiB, want 256", got/mib)
	}

	// A container (its own cgroup namespace: the group is /).
	root = machine()
	write(root, "proc/self/cgroup", "0::/\n")
	write(root, "sys/fs/cgroup/memory.max", "1073741824\n")
	if got := total(root, 0); got != 1024*mib {
		t.Errorf("container's limit: %d MiB, want 1024", got/mib)
	}

	// cgroup v1 without a limit says a huge number.
	root = machine()
	write(root, "proc/self/cgroup", "5:devices:/\n4:memory:/docker/abc\n0::/\n")
	write(root, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "9223372036854771712\n")
	if got := total(root, 0); got != 2048000<<10 {
		t.Errorf("v1 without a limit: %d, want MemTotal", got)
	}
	write(root, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "134217728\n")
	if got := total(root, 0); got != 128*mib {
		t.Errorf("v1 container's limit: %d MiB, want 128", got/mib)
	}

	if got := total(t.TempDir(), 0); got != 0 {
		t.Errorf("nothing to read: %d, want 0", got)
	}
}
