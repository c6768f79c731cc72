package lru

import (
	"strconv"
	"testing"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	m := New[string, int](3)
	m.Put("a", 1)
	m.Put("b", 2)
	m.Put("c", 3)
	m.Get("a") // a is now more recent than b
	if evicted := m.Put("d", 4); !evicted {
		t.Fatalf(`a full map took a fourth entry without evicting`)
	}
	if _, ok := m.Peek("b"); ok {
		t.Fatalf(`b, the least recently used, was kept`)
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := m.Peek(k); !ok {
			t.Fatalf(`%s was evicted instead of b`, k)
		}
	}
	if k, v, ok := m.Oldest(); !ok || k != "c" || v != 3 {
		t.Fatalf(`Oldest = %q %d %v, want c 3`, k, v, ok)
	}
	m.Put("c", 30) // updating refreshes
	if k, _, _ := m.Oldest(); k != "a" {
		t.Fatalf(`after updating c the oldest is %q, want a`, k)
	}
	m.Remove("a")
	m.RemoveOldest()
	if m.Len() != 1 {
		t.Fatalf(`Len = %d, want 1`, m.Len())
	}
	if v, ok := m.Get("c"); !ok || v != 30 {
		t.Fatalf(`Get(c) = %d %v, want 30`, v, ok)
	}
}

func TestBoundedUnderFlood(t *testing.T) {
	m := New[string, int](100)
	for i := range 10_000 {
		m.Put(strconv.Itoa(i), i)
		m.Get("keep") // never present: Get of a missing key adds nothing
		if m.Len() > 100 {
			t.Fatalf(`Len = %d after %d puts, want at most 100`, m.Len(), i+1)
		}
	}
}
