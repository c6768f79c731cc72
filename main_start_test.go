package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
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
	procs := runtime.GOMAXPROCS(0)
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
	// serve takes a spare P (spareProc); the next start begins where a
	// fresh process would.
	runtime.GOMAXPROCS(procs)
	b.StartTimer()
}

// The integrity check runs beside a starting server: /healthz answers at
// once, then reports a damaged file once the check has found it.
func TestIntegrityCheckBesideTheStart(t *testing.T) {
	dir := t.TempDir()
	s := startServe(t, dir, nil)
	s.stop(t)
	path := filepath.Join(dir, "parley.db")
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var pageSize int64
	var roots []int64
	if err := conn.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	rows, err := conn.Query(`SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name IN ('messages', 'chat_sessions', 'visitors')`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int64
		rows.Scan(&p)
		roots = append(roots, p)
	}
	rows.Close()
	conn.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte{0x5a, 0xa5, 0x13}, int(pageSize)/3+1)[:pageSize]
	for _, p := range roots {
		if _, err := f.WriteAt(junk, (p-1)*pageSize); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()

	s = startServe(t, dir, nil)
	deadline := time.Now().Add(guard)
	for {
		res, err := http.Get("http://" + s.addr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "damaged") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf(`/healthz of a damaged file: %d %s`, res.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
