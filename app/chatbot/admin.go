package chatbot

import (
	"bytes"
	"context"
	"errors"
	"image"
	_ "image/gif" // uploaded pictures may be GIF, JPEG or PNG
	_ "image/jpeg"
	_ "image/png"
	"net/http"

	"parley/app/model"
)

// List returns every chatbot, archived ones too.
func (s *Service) List(ctx context.Context) ([]model.ChatbotSummary, error) {
	return s.st.Chatbots(ctx)
}

// Get returns a chatbot with its script.
func (s *Service) Get(ctx context.Context, id int64) (*model.Chatbot, error) {
	return s.st.Chatbot(ctx, id)
}

// Save validates and stores a chatbot (a new one when its ID is 0).
// "Only If" answers that do not belong to an earlier question (after a
// reorder) are dropped; it returns how many, for a notice.
func (s *Service) Save(ctx context.Context, sc *model.Chatbot) (dropped int, err error) {
	if sc.Language == "" {
		sc.Language = s.languages[0]
	}
	if err := checkIDs(sc); err != nil {
		return 0, err
	}
	dropped = DropLaterOnlyIf(sc)
	if err := Validate(sc, s.languages); err != nil {
		return 0, err
	}
	if sc.ID == 0 {
		sc.Active = true
		err = s.st.CreateChatbot(ctx, sc)
	} else {
		err = s.st.UpdateChatbot(ctx, sc)
	}
	s.forget(sc.ID)
	return dropped, err
}

// checkIDs refuses a script whose "Only If" names an answer it does not
// have (an edit made in another tab meanwhile, or a forged form).
func checkIDs(sc *model.Chatbot) error {
	answers := map[int64]bool{}
	for _, st := range sc.Steps {
		for _, a := range st.Answers {
			answers[a.ID] = true
		}
	}
	for i, st := range sc.Steps {
		for _, a := range st.OnlyIf {
			if !answers[a] {
				return fieldErr("only_if", "Step %d: \"Only If\" names an answer this script does not have.", i+1)
			}
		}
	}
	return nil
}

// SetActive archives (false) or unarchives a chatbot. Rules that name an
// archived chatbot keep working without it.
func (s *Service) SetActive(ctx context.Context, id int64, active bool) error {
	defer s.forget(id)
	return s.st.SetChatbotActive(ctx, id, active)
}

// Delete deletes a chatbot; conversations keep what it said.
func (s *Service) Delete(ctx context.Context, id int64) error {
	defer s.forget(id)
	return s.st.DeleteChatbot(ctx, id)
}

// ImportYAML reads a YAML file and stores it as a new chatbot.
func (s *Service) ImportYAML(ctx context.Context, data []byte) (*model.Chatbot, error) {
	sc, err := Import(data, s.languages)
	if err != nil {
		return nil, err
	}
	if _, err := s.Save(ctx, sc); err != nil {
		return nil, err
	}
	return sc, nil
}

// ExportYAML writes a stored chatbot as YAML.
func (s *Service) ExportYAML(ctx context.Context, id int64) (*model.Chatbot, []byte, error) {
	sc, err := s.st.Chatbot(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	data, err := Export(sc)
	return sc, data, err
}

// Problems lists what the script checker finds in a chatbot.
func (s *Service) Problems(sc *model.Chatbot) []Problem { return CheckScript(sc) }

// MaxImageBytes bounds an uploaded picture.
const MaxImageBytes = 512 << 10

// SetImage stores an uploaded picture (PNG, JPEG or GIF); nil goes back to
// the generated avatar.
func (s *Service) SetImage(ctx context.Context, id int64, img []byte) error {
	if _, err := s.st.Chatbot(ctx, id); err != nil {
		return err
	}
	if img == nil {
		return s.st.SetChatbotImage(ctx, id, nil, "")
	}
	if len(img) > MaxImageBytes {
		return fieldErr("image", "The picture is too large: at most %d KB.", MaxImageBytes>>10)
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(img)); err != nil {
		return fieldErr("image", "The picture must be a PNG, JPEG or GIF image.")
	}
	return s.st.SetChatbotImage(ctx, id, img, http.DetectContentType(img))
}

// Image returns a chatbot's uploaded picture, or ErrNotFound with its
// name (for the generated avatar) when it has none.
func (s *Service) Image(ctx context.Context, id int64) (img []byte, typ, name string, err error) {
	img, typ, err = s.st.ChatbotImage(ctx, id)
	if errors.Is(err, model.ErrNotFound) {
		sc, err2 := s.script(ctx, id)
		if err2 != nil || sc == nil {
			return nil, "", "", model.ErrNotFound
		}
		return nil, "", sc.Name, model.ErrNotFound
	}
	return img, typ, "", err
}

// Names maps chatbot ids to their summary (name, active); deleted ones
// are absent. Rule forms use it to say which chatbot is gone.
func (s *Service) Names(ctx context.Context, ids []int64) (map[int64]model.ChatbotSummary, error) {
	return s.st.ChatbotNames(ctx, ids)
}

// installedKey remembers that the sample chatbots were installed, so an
// admin who deletes them does not see them come back.
const installedKey = "chatbots.defaults_installed"

// InstallDefaults creates the first-run chatbots (the Welcome Bot and the
// Lead Generation Bot) once per database, unless chatbots exist already.
// No rule names them: an admin chooses where they greet visitors.
func (s *Service) InstallDefaults(ctx context.Context) error {
	if _, err := s.st.Setting(ctx, installedKey); err == nil || !errors.Is(err, model.ErrNotFound) {
		return err
	}
	has, err := s.st.HasChatbots(ctx)
	if err != nil {
		return err
	}
	if has {
		return s.st.SetSetting(ctx, installedKey, "1")
	}
	bots, err := DefaultChatbots()
	if err != nil {
		return err
	}
	for _, sc := range bots {
		if _, err := s.Save(ctx, sc); err != nil {
			return err
		}
	}
	return s.st.SetSetting(ctx, installedKey, "1")
}

// Rename changes a chatbot's name and default language.
func (s *Service) Rename(ctx context.Context, id int64, name, lang string) error {
	sc, err := s.st.Chatbot(ctx, id)
	if err != nil {
		return err
	}
	sc.Name, sc.Language = name, lang
	_, err = s.Save(ctx, sc)
	return err
}

// SaveStep adds a step at the end of the script (st.ID 0) or replaces the
// step with st's ID. Its new answers may carry ID 0. Conditions on answers
// the step no longer has are dropped from every step; it returns how many
// "Only If" answers were dropped, for a notice.
func (s *Service) SaveStep(ctx context.Context, id int64, st model.ChatbotStep) (*model.Chatbot, int, error) {
	sc, err := s.st.Chatbot(ctx, id)
	if err != nil {
		return nil, 0, err
	}
	next := int64(0)
	for j := range st.Answers {
		if st.Answers[j].ID <= 0 {
			next--
			st.Answers[j].ID = next
		}
	}
	if st.ID == 0 {
		sc.Steps = append(sc.Steps, st)
	} else {
		i := stepIndex(sc, st.ID)
		if i < 0 {
			return nil, 0, model.ErrNotFound
		}
		// Answers of other steps may not be moved here by a forged form.
		mine := map[int64]bool{}
		for _, a := range sc.Steps[i].Answers {
			mine[a.ID] = true
		}
		for _, a := range st.Answers {
			if a.ID > 0 && !mine[a.ID] {
				return nil, 0, fieldErr("answers", "This answer belongs to another step.")
			}
		}
		sc.Steps[i] = st
	}
	dropped := dropMissingOnlyIf(sc)
	n, err := s.Save(ctx, sc)
	return sc, dropped + n, err
}

// MoveStep moves a step one place up (delta -1) or down (+1); it returns
// how many "Only If" answers were dropped because they would point at a
// later step.
func (s *Service) MoveStep(ctx context.Context, id, stepID int64, delta int) (int, error) {
	sc, err := s.st.Chatbot(ctx, id)
	if err != nil {
		return 0, err
	}
	i := stepIndex(sc, stepID)
	if i < 0 {
		return 0, model.ErrNotFound
	}
	n := Reorder(sc, i, i+delta)
	_, err = s.Save(ctx, sc)
	return n, err
}

// DeleteStep removes a step; conditions on its answers go with it.
func (s *Service) DeleteStep(ctx context.Context, id, stepID int64) error {
	sc, err := s.st.Chatbot(ctx, id)
	if err != nil {
		return err
	}
	i := stepIndex(sc, stepID)
	if i < 0 {
		return model.ErrNotFound
	}
	sc.Steps = append(sc.Steps[:i], sc.Steps[i+1:]...)
	dropMissingOnlyIf(sc)
	_, err = s.Save(ctx, sc)
	return err
}

// dropMissingOnlyIf removes "Only If" answers the script no longer has.
func dropMissingOnlyIf(sc *model.Chatbot) int {
	have := map[int64]bool{}
	for _, st := range sc.Steps {
		for _, a := range st.Answers {
			have[a.ID] = true
		}
	}
	n := 0
	for i := range sc.Steps {
		st := &sc.Steps[i]
		kept := st.OnlyIf[:0]
		for _, a := range st.OnlyIf {
			if have[a] {
				kept = append(kept, a)
			} else {
				n++
			}
		}
		st.OnlyIf = kept
	}
	return n
}
