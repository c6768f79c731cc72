package model

import "fmt"

// Refusal is an action the rules do not allow whatever the input: an
// operator managing someone else's account, the last active administrator
// deactivating themself. Code is a stable snake_case identifier for API
// clients; Message is an English format string and Args its values, kept
// apart like FieldError's so the web layer translates the format.
type Refusal struct {
	Code    string
	Message string
	Args    []any
	// Forbidden marks a refusal because of who asks (403) rather than
	// because of the state of things (409).
	Forbidden bool
}

// Text is the English message with its values.
func (e *Refusal) Text() string {
	if len(e.Args) == 0 {
		return e.Message
	}
	return fmt.Sprintf(e.Message, e.Args...)
}

func (e *Refusal) Error() string { return e.Code + ": " + e.Text() }
