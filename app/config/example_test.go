package config

import (
	"os"
	"strings"
	"testing"
)

// The example file must load as-is, equal the defaults, and mention every
// key with its environment variable, so it never drifts from the code.
func TestExampleFile(t *testing.T) {
	c, err := Load("../../config.example.yaml", nil)
	if err != nil {
		t.Fatalf(`config.example.yaml does not load: %v`, err)
	}
	if c.Dump() != func() string { d := Default(); return d.Dump() }() {
		t.Fatalf(`config.example.yaml differs from the defaults:\n%s`, c.Dump())
	}
	b, err := os.ReadFile("../../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(b), EnvName(k)) {
			t.Errorf(`config.example.yaml does not name %s for %s`, EnvName(k), k)
		}
	}
}
