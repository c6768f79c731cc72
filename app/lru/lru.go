// Package lru is a size-bounded map that forgets its least recently used
// entries first. It is not safe for concurrent use; callers lock.
//
// The rate limiters use it so that a flood of new keys (addresses, tokens,
// emails) pushes out the keys nobody used for longest, while the keys in
// active use keep their state.
package lru

import "container/list"

// Map holds at most Max entries.
type Map[K comparable, V any] struct {
	max   int
	order list.List // front: most recently used
	items map[K]*list.Element
}

type entry[K comparable, V any] struct {
	key K
	val V
}

// New returns an empty Map that holds at most max entries (at least one).
func New[K comparable, V any](max int) *Map[K, V] {
	if max < 1 {
		max = 1
	}
	return &Map[K, V]{max: max, items: make(map[K]*list.Element)}
}

// Get returns the value of key and marks it as the most recently used.
func (m *Map[K, V]) Get(key K) (V, bool) {
	if el, ok := m.items[key]; ok {
		m.order.MoveToFront(el)
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Peek returns the value of key without changing the order.
func (m *Map[K, V]) Peek(key K) (V, bool) {
	if el, ok := m.items[key]; ok {
		return el.Value.(*entry[K, V]).val, true
	}
	var zero V
	return zero, false
}

// Put sets key to val and marks it as the most recently used; when the
// map is full, the least recently used entry makes room. It reports
// whether an entry was evicted.
func (m *Map[K, V]) Put(key K, val V) (evicted bool) {
	if el, ok := m.items[key]; ok {
		el.Value.(*entry[K, V]).val = val
		m.order.MoveToFront(el)
		return false
	}
	if len(m.items) >= m.max {
		m.RemoveOldest()
		evicted = true
	}
	m.items[key] = m.order.PushFront(&entry[K, V]{key: key, val: val})
	return evicted
}

// Oldest returns the least recently used entry.
func (m *Map[K, V]) Oldest() (K, V, bool) {
	if el := m.order.Back(); el != nil {
		e := el.Value.(*entry[K, V])
		return e.key, e.val, true
	}
	var k K
	var v V
	return k, v, false
}

// RemoveOldest forgets the least recently used entry.
func (m *Map[K, V]) RemoveOldest() {
	if el := m.order.Back(); el != nil {
		m.order.Remove(el)
		delete(m.items, el.Value.(*entry[K, V]).key)
	}
}

// Remove forgets key.
func (m *Map[K, V]) Remove(key K) {
	if el, ok := m.items[key]; ok {
		m.order.Remove(el)
		delete(m.items, key)
	}
}

// Len returns the number of entries.
func (m *Map[K, V]) Len() int { return len(m.items) }
