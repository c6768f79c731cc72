package auth

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The hash an unknown email is compared against must be a real bcrypt
// hash at the cost real passwords get, or a missing account would answer
// faster than a wrong password.
func TestDummyHashCostsLikeARealOne(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash)
	if err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf(`dummy hash cost %d (%v), want %d`, cost, err, bcrypt.DefaultCost)
	}
	if err := bcrypt.CompareHashAndPassword(dummyHash, []byte("parley-timing-equaliser")); err != nil {
		t.Fatalf(`dummy hash: %v`, err)
	}
}
