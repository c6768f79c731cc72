package commands_test

import (
	"context"
	"errors"
	"testing"

	"parley/app/apptest"
	"parley/app/commands"
	"parley/app/model"
)

func TestCannedShippedOnceAndExpanded(t *testing.T) {
	st := apptest.NewStore(t)
	ctx := context.Background()
	c := commands.NewCanned(st, []string{"en", "es"})
	if err := c.EnsureShipped(ctx); err != nil {
		t.Fatal(err)
	}
	list, _ := c.List(ctx)
	if len(list) != 2 {
		t.Fatalf("shipped: %d", len(list))
	}
	// Deleting the shipped ones is the admin's choice: they do not return.
	for _, r := range list {
		if err := c.Delete(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.EnsureShipped(ctx); err != nil {
		t.Fatal(err)
	}
	if list, _ = c.List(ctx); len(list) != 0 {
		t.Fatalf("the shipped responses came back: %d", len(list))
	}
	if err := c.Save(ctx, &model.CannedResponse{Shortcut: "ship", Substitution: "3 days.", Texts: map[string]string{"es": "3 días."}}); err != nil {
		t.Fatal(err)
	}
	var fe *model.FieldError
	if err := c.Save(ctx, &model.CannedResponse{Shortcut: "x", Substitution: "y", Texts: map[string]string{"fr": "z"}}); !errors.As(err, &fe) || fe.Field != "texts" {
		t.Errorf("a language without a catalogue: %v", err)
	}
	for in, want := range map[string]string{
		":ship":           "3 days.",
		"It takes :ship":  "It takes 3 days.",
		"::SHIP!":         "3 days.!",
		"10:30 :shipping": "10:30 :shipping",
		"no colon":        "no colon",
		"a:ship":          "a:ship",
	} {
		got, err := c.Expand(ctx, "en", in)
		if err != nil || got != want {
			t.Errorf("Expand(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if got, _ := c.Expand(ctx, "es", ":ship"); got != "3 días." {
		t.Errorf("Spanish: %q", got)
	}
}
