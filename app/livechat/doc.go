// Package livechat owns channels, channel rules, operator presence and live chat sessions.
package livechat
