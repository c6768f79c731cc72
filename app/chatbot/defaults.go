package chatbot

import (
	"embed"
	"fmt"

	"parley/app/model"
)

// The chatbots a new installation starts with (Odoo's sample scripts), in
// the same YAML an admin imports, in English and Spanish.
//
//go:embed defaults/*.yaml
var defaultFiles embed.FS

// DefaultChatbots returns the first-run chatbots: the Welcome Bot and the
// Lead Generation Bot, not yet stored.
func DefaultChatbots() ([]*model.Chatbot, error) {
	var out []*model.Chatbot
	for _, name := range []string{"welcome_bot.yaml", "lead_generation_bot.yaml"} {
		data, err := defaultFiles.ReadFile("defaults/" + name)
		if err != nil {
			return nil, err
		}
		sc, err := Import(data, []string{"en", "es"})
		if err != nil {
			return nil, fmt.Errorf("chatbot: default %s: %w", name, err)
		}
		out = append(out, sc)
	}
	return out, nil
}
