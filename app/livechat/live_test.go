package livechat

import "testing"

// A visitor with two tabs is on the site until both close; operators hear
// the arrival and the departure once each, not once per tab.
func TestLiveVisitorsTabs(t *testing.T) {
	l := NewLiveVisitors()
	var frames []VisitorFrame
	l.onChange(func(f VisitorFrame) { frames = append(frames, f) })
	l.Connect(7, 2)
	l.Connect(7, 0) // a socket that named no channel keeps the known one
	if ch, ok := l.Online(7); !ok || ch != 2 {
		t.Fatalf(`Online(7) = %d, %v; want channel 2, online`, ch, ok)
	}
	l.Disconnect(7)
	if _, ok := l.Online(7); !ok {
		t.Fatal(`offline with a tab still open`)
	}
	l.Disconnect(7)
	l.Disconnect(7) // a late duplicate changes nothing
	if _, ok := l.Online(7); ok || len(l.IDs()) != 0 {
		t.Fatalf(`still online after the last tab: %v`, l.IDs())
	}
	if len(frames) != 2 || !frames[0].Online || frames[1].Online || frames[1].ID != 7 {
		t.Fatalf(`frames = %+v, want one arrival then one departure`, frames)
	}
}
