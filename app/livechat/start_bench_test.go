package livechat_test

import (
	"context"
	"testing"

	"parley/app/livechat"
)

// BenchmarkStartSession measures a visitor's conversation start — the new
// visitor, the choice of an operator among four online, the session's
// insert — with starts arriving together as visitors do (they share group
// commits). The per-second figure is what `parley loadtest` reports as
// conversations started, without HTTP and sockets.
//
//	go test ./app/livechat -run '^$' -bench StartSession
func BenchmarkStartSession(b *testing.B) {
	f := newFixture(b, 4, nil)
	for _, u := range f.ops {
		f.lc.Presence.Connect(u.ID)
	}
	ctx := context.Background()
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.lc.StartSession(ctx, livechat.StartInput{ChannelID: f.ch.ID, Country: "BE", Language: "en"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "starts/s")
}
