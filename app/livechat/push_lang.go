package livechat

import (
	"context"
	"sync"
	"time"
)

// Frames pushed live render what the system says (notices, the label of a
// visitor without a name) in the reader's language: the visitor's browser
// language when their chat started, an operator's My Profile language or
// else their browser's at their last login.

// textFor is the translator of lang, or the default one.
func (s *Service) textFor(lang string) Translator {
	if lang == "" || s.localize == nil {
		return s.text
	}
	return s.localize(lang)
}

// langCache remembers operators' languages for a minute: they change
// rarely, and a push must not read the database for each message.
type langCache struct {
	mu sync.Mutex
	m  map[int64]cachedLang
}

type cachedLang struct {
	lang string
	at   time.Time
}

const langTTL = time.Minute

// operatorText is the translator for what is pushed to an operator.
func (s *Service) operatorText(userID int64) Translator {
	if s.localize == nil || userID == 0 {
		return s.text
	}
	now := time.Now()
	s.langs.mu.Lock()
	c, ok := s.langs.m[userID]
	s.langs.mu.Unlock()
	if !ok || now.Sub(c.at) > langTTL {
		c = cachedLang{at: now}
		if u, err := s.st.User(context.Background(), userID); err == nil {
			c.lang = u.Language
			if c.lang == "" {
				c.lang = u.BrowserLanguage
			}
		}
		s.langs.mu.Lock()
		if s.langs.m == nil {
			s.langs.m = map[int64]cachedLang{}
		}
		s.langs.m[userID] = c
		s.langs.mu.Unlock()
	}
	return s.textFor(c.lang)
}

// ForgetLanguage drops a user's cached language after they changed it.
func (s *Service) ForgetLanguage(userID int64) {
	s.langs.mu.Lock()
	delete(s.langs.m, userID)
	s.langs.mu.Unlock()
}
