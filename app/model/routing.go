package model

// ChannelRouting is how a channel takes chats: its office hours with the
// away message shown outside them, and the maximum of concurrent chats its
// operators get unless their own setting says otherwise.
type ChannelRouting struct {
	ChannelID    int64
	HoursEnabled bool
	Timezone     string // IANA name ("Europe/Madrid"); "" is UTC
	Hours        string // one opening a line, "Mon-Fri 09:00-17:00"
	Holidays     string // one date a line, "2025-12-25"
	AwayMessage  string
	MaxChats     int // 0: no maximum
}
