// Package settings lets admins override, from the UI, configuration values
// whose defaults come from the file or the environment. An override is
// stored in the settings table under "config:<key>" (the configuration's
// own key, such as "config:smtp.host") and read at use time, so a change
// applies without a restart; removing it brings the default back.
package settings

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"parley/app/store"
)

const prefix = "config:"

// Overrides reads and writes the admins' overrides.
type Overrides struct{ st *store.Store }

// New returns the overrides kept in st.
func New(st *store.Store) *Overrides { return &Overrides{st: st} }

// Snapshot is the overrides of one section, read once: a use reads them
// together so it never mixes old and new values.
type Snapshot map[string]string

// Load reads the overrides of the keys under section ("smtp" reads
// smtp.host, smtp.port, …); "" reads every override.
func (o *Overrides) Load(ctx context.Context, section string) (Snapshot, error) {
	p := prefix
	if section != "" {
		p += section + "."
	}
	all, err := o.st.SettingsWithPrefix(ctx, p)
	if err != nil {
		return nil, err
	}
	out := make(Snapshot, len(all))
	for k, v := range all {
		out[strings.TrimPrefix(k, prefix)] = v
	}
	return out, nil
}

// Has reports whether key is overridden.
func (s Snapshot) Has(key string) bool { _, ok := s[key]; return ok }

// String returns key's override, or def.
func (s Snapshot) String(key, def string) string {
	if v, ok := s[key]; ok {
		return v
	}
	return def
}

// Int returns key's override, or def when there is none or it is not a
// number (Save validates, so only a hand-edited database gets here).
func (s Snapshot) Int(key string, def int) int {
	if v, ok := s[key]; ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

// Duration returns key's override, or def.
func (s Snapshot) Duration(key string, def time.Duration) time.Duration {
	if v, ok := s[key]; ok {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

// Change is one form's edit: values to store and keys to bring back to
// their defaults.
type Change struct {
	Set   map[string]string
	Reset []string
}

// Save applies c in one transaction. Validate the values before.
func (o *Overrides) Save(ctx context.Context, c Change) error {
	set, del := c.keys()
	if err := o.st.SaveSettings(ctx, set, del); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	return nil
}

// SaveRenamingChannels applies c and renames the channels named exactly
// from to to, in one transaction: a site name change carries the channels
// still named after the site with it. It returns the renamed channels' ids.
func (o *Overrides) SaveRenamingChannels(ctx context.Context, c Change, from, to string) ([]int64, error) {
	set, del := c.keys()
	ids, err := o.st.SaveSettingsRenamingChannels(ctx, set, del, from, to)
	if err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	return ids, nil
}

// keys are c's settings-table keys.
func (c Change) keys() (map[string]string, []string) {
	set := make(map[string]string, len(c.Set))
	for k, v := range c.Set {
		set[prefix+k] = v
	}
	del := make([]string, 0, len(c.Reset))
	for _, k := range c.Reset {
		del = append(del, prefix+k)
	}
	return set, del
}
