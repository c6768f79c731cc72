package livechat

import (
	"testing"
	"time"
)

func TestPresence(t *testing.T) {
	now := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	p := NewPresence(func() time.Time { return now })
	var changes []string
	p.OnChange(func(id int64, st Status) { changes = append(changes, string(st)) })

	if p.Status(1) != Offline {
		t.Fatalf(`unknown user must be offline`)
	}
	p.Activity(1) // activity without a connection changes nothing
	if p.Status(1) != Offline {
		t.Fatalf(`activity alone must not make a user online`)
	}
	p.Connect(1)
	p.Connect(1) // a second tab
	if p.Status(1) != Online || len(p.Online([]int64{1, 2})) != 1 {
		t.Fatalf(`connected user must be online`)
	}
	now = now.Add(AwayAfter + time.Second)
	if p.Status(1) != Away || len(p.Online([]int64{1})) != 0 {
		t.Fatalf(`idle for 30 minutes must be away, got %s`, p.Status(1))
	}
	p.Sweep()
	p.Activity(1)
	if p.Status(1) != Online {
		t.Fatalf(`activity must bring the user back online`)
	}
	p.Disconnect(1)
	if p.Status(1) != Online {
		t.Fatalf(`one tab left: still online`)
	}
	p.Disconnect(1)
	p.Disconnect(1) // extra disconnects are harmless
	if p.Status(1) != Offline {
		t.Fatalf(`all tabs closed: offline`)
	}
	want := []string{"online", "away", "online", "offline"}
	if len(changes) != len(want) {
		t.Fatalf(`changes %v, want %v`, changes, want)
	}
	for i := range want {
		if changes[i] != want[i] {
			t.Fatalf(`changes %v, want %v`, changes, want)
		}
	}
}
