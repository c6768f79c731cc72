package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"

	"parley/app/model"
)

// CSRF tokens are an HMAC of what the request is bound to (the login
// session's cookie, or before login a random anonymous cookie) under a key
// only the server knows. A page on a sibling subdomain that can plant
// cookies still cannot make a token that matches one it planted, unlike a
// plain double-submit cookie.

const csrfKeySetting = "csrf_key"

// CSRFToken returns the token for requests bound to binding.
func (s *Service) CSRFToken(ctx context.Context, binding string) (string, error) {
	key, err := s.csrfKey(ctx)
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)), nil
}

// CheckCSRF reports whether sent is the token for binding.
func (s *Service) CheckCSRF(ctx context.Context, binding, sent string) (bool, error) {
	want, err := s.CSRFToken(ctx, binding)
	if err != nil {
		return false, err
	}
	return sent != "" && hmac.Equal([]byte(sent), []byte(want)), nil
}

// csrfKey loads the key once, creating it on first use; it is kept in the
// database so tokens survive a restart.
func (s *Service) csrfKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.csrf != nil {
		return s.csrf, nil
	}
	v, err := s.store.Setting(ctx, csrfKeySetting)
	if errors.Is(err, model.ErrNotFound) {
		v = RandomToken() + RandomToken()
		if err := s.store.SetSetting(ctx, csrfKeySetting, v); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("auth: csrf key: %w", err)
	}
	s.csrf = []byte(v)
	return s.csrf, nil
}
