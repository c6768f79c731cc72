package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// BenchmarkStart measures a start of `parley serve` until /healthz
// answers 200, on a fresh data directory (migrations, first-run data) and
// on one that exists.
//
//	go test . -run '^$' -bench Start -benchtime 20x
func BenchmarkStart(b *testing.B) {
	for _, fresh := range []bool{true, false} {
		name := "existing"
		if fresh {
			name = "fresh"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			if !fresh {
				startAndStop(b, dir)
			}
			b.ResetTimer()
			for range b.N {
				if fresh {
					b.StopTimer()
					dir = b.TempDir()
					b.StartTimer()
				}
				startAndStop(b, dir)
			}
		})
	}
}

// startAndStop runs serve until /healthz answers, then stops it; only the
// way up is timed.
func startAndStop(b *testing.B, dir string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--data-dir", dir, "--log-level", "error"}, nil, strings.NewReader(""), io.Discard, io.Discard)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf(`no healthy /healthz: %v`, err)
		}
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	cancel()
	if code := <-done; code != exitOK {
		b.Fatalf(`serve exited %d`, code)
	}
	b.StartTimer()
}
