package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"parley/app/model"
)

// CreateChatbot stores a new chatbot with its script. Steps and answers
// with IDs of 0 or below are new; "Only If" may name a new answer by its
// provisional (negative) ID. IDs are set on sc.
func (s *Store) CreateChatbot(ctx context.Context, sc *model.Chatbot) error {
	now := time.Now().UTC()
	sc.CreatedAt, sc.UpdatedAt = now, now
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO chatbots (name, active, language, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			sc.Name, b2i(sc.Active), sc.Language, ms(now), ms(now))
		if err != nil {
			return fmt.Errorf("store: create chatbot: %w", err)
		}
		sc.ID, _ = res.LastInsertId()
		return saveScript(ctx, tx, sc)
	})
}

// UpdateChatbot saves a chatbot's name, language and script. Steps and
// answers keep their IDs (so conversations in the middle of the script
// keep their place); those no longer in sc are deleted.
func (s *Store) UpdateChatbot(ctx context.Context, sc *model.Chatbot) error {
	sc.UpdatedAt = time.Now().UTC()
	return s.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE chatbots SET name = ?, language = ?, updated_at = ? WHERE id = ?`,
			sc.Name, sc.Language, ms(sc.UpdatedAt), sc.ID)
		if err != nil {
			return fmt.Errorf("store: update chatbot %d: %w", sc.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: chatbot %d: %w", sc.ID, ErrNotFound)
		}
		return saveScript(ctx, tx, sc)
	})
}

func saveScript(ctx context.Context, tx *sql.Tx, sc *model.Chatbot) error {
	fail := func(err error) error { return fmt.Errorf("store: chatbot %d script: %w", sc.ID, err) }
	owned := func(q string, id int64) (bool, error) {
		var n int
		err := tx.QueryRowContext(ctx, q, id, sc.ID).Scan(&n)
		return n > 0, err
	}
	keepSteps, keepAnswers := []any{sc.ID}, []any{sc.ID}
	answerIDs := map[int64]int64{} // provisional → stored
	for i := range sc.Steps {
		st := &sc.Steps[i]
		msg, err := json.Marshal(st.Message)
		if err != nil {
			return fail(err)
		}
		var team any
		if st.TeamID != 0 {
			team = st.TeamID
		}
		mine := false
		if st.ID > 0 {
			if mine, err = owned(`SELECT count(*) FROM chatbot_steps WHERE id = ? AND chatbot_id = ?`, st.ID); err != nil {
				return fail(err)
			}
		}
		if mine {
			_, err = tx.ExecContext(ctx, `UPDATE chatbot_steps SET sequence = ?, step_type = ?, message = ?, team_id = ? WHERE id = ?`,
				i+1, string(st.Type), string(msg), team, st.ID)
		} else {
			var res sql.Result
			res, err = tx.ExecContext(ctx, `INSERT INTO chatbot_steps (chatbot_id, sequence, step_type, message, team_id) VALUES (?, ?, ?, ?, ?)`,
				sc.ID, i+1, string(st.Type), string(msg), team)
			if err == nil {
				st.ID, _ = res.LastInsertId()
			}
		}
		if err != nil {
			return fail(err)
		}
		keepSteps = append(keepSteps, st.ID)
		for j := range st.Answers {
			a := &st.Answers[j]
			label, err := json.Marshal(a.Label)
			if err != nil {
				return fail(err)
			}
			mine := false
			if a.ID > 0 {
				if mine, err = owned(`SELECT count(*) FROM chatbot_answers a JOIN chatbot_steps s ON s.id = a.step_id WHERE a.id = ? AND s.chatbot_id = ?`, a.ID); err != nil {
					return fail(err)
				}
			}
			old := a.ID
			if mine {
				_, err = tx.ExecContext(ctx, `UPDATE chatbot_answers SET step_id = ?, sequence = ?, label = ?, redirect_link = ? WHERE id = ?`,
					st.ID, j+1, string(label), a.RedirectLink, a.ID)
			} else {
				var res sql.Result
				res, err = tx.ExecContext(ctx, `INSERT INTO chatbot_answers (step_id, sequence, label, redirect_link) VALUES (?, ?, ?, ?)`,
					st.ID, j+1, string(label), a.RedirectLink)
				if err == nil {
					a.ID, _ = res.LastInsertId()
				}
			}
			if err != nil {
				return fail(err)
			}
			answerIDs[old] = a.ID
			keepAnswers = append(keepAnswers, a.ID)
		}
	}
	// What the script no longer has goes, with its answers and conditions.
	q := `DELETE FROM chatbot_answers WHERE step_id IN (SELECT id FROM chatbot_steps WHERE chatbot_id = ?)`
	if len(keepAnswers) > 1 {
		q += ` AND id NOT IN (` + placeholders(len(keepAnswers)-1) + `)`
	}
	if _, err := tx.ExecContext(ctx, q, keepAnswers...); err != nil {
		return fail(err)
	}
	q = `DELETE FROM chatbot_steps WHERE chatbot_id = ?`
	if len(keepSteps) > 1 {
		q += ` AND id NOT IN (` + placeholders(len(keepSteps)-1) + `)`
	}
	if _, err := tx.ExecContext(ctx, q, keepSteps...); err != nil {
		return fail(err)
	}
	for i := range sc.Steps {
		st := &sc.Steps[i]
		if _, err := tx.ExecContext(ctx, `DELETE FROM chatbot_step_only_if WHERE step_id = ?`, st.ID); err != nil {
			return fail(err)
		}
		for k, a := range st.OnlyIf {
			id, ok := answerIDs[a]
			if !ok {
				return fail(fmt.Errorf("step %d: only-if answer %d is not in the script", i+1, a))
			}
			st.OnlyIf[k] = id
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO chatbot_step_only_if (step_id, answer_id) VALUES (?, ?)`, st.ID, id); err != nil {
				return fail(err)
			}
		}
	}
	return nil
}

// Chatbot returns a chatbot with its whole script.
func (s *Store) Chatbot(ctx context.Context, id int64) (*model.Chatbot, error) {
	sc := &model.Chatbot{ID: id}
	var active int
	var created, updated int64
	err := s.r.QueryRowContext(ctx, `SELECT name, active, language, image_type, created_at, updated_at FROM chatbots WHERE id = ?`, id).
		Scan(&sc.Name, &active, &sc.Language, &sc.ImageType, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: chatbot %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: chatbot %d: %w", id, err)
	}
	sc.Active, sc.CreatedAt, sc.UpdatedAt = active != 0, fromMS(created), fromMS(updated)
	rows, err := s.r.QueryContext(ctx, `SELECT id, step_type, message, COALESCE(team_id, 0) FROM chatbot_steps WHERE chatbot_id = ? ORDER BY sequence, id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: chatbot %d steps: %w", id, err)
	}
	index := map[int64]int{}
	for rows.Next() {
		var st model.ChatbotStep
		var typ, msg string
		if err := rows.Scan(&st.ID, &typ, &msg, &st.TeamID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: chatbot %d steps: %w", id, err)
		}
		st.Type = model.StepType(typ)
		if err := json.Unmarshal([]byte(msg), &st.Message); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: chatbot %d step %d: %w", id, st.ID, err)
		}
		index[st.ID] = len(sc.Steps)
		sc.Steps = append(sc.Steps, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.r.QueryContext(ctx, `SELECT a.id, a.step_id, a.label, a.redirect_link FROM chatbot_answers a
		JOIN chatbot_steps s ON s.id = a.step_id WHERE s.chatbot_id = ? ORDER BY a.step_id, a.sequence, a.id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: chatbot %d answers: %w", id, err)
	}
	for rows.Next() {
		var a model.ChatbotAnswer
		var step int64
		var label string
		if err := rows.Scan(&a.ID, &step, &label, &a.RedirectLink); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: chatbot %d answers: %w", id, err)
		}
		if err := json.Unmarshal([]byte(label), &a.Label); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: chatbot %d answer %d: %w", id, a.ID, err)
		}
		st := &sc.Steps[index[step]]
		st.Answers = append(st.Answers, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.r.QueryContext(ctx, `SELECT o.step_id, o.answer_id FROM chatbot_step_only_if o
		JOIN chatbot_steps s ON s.id = o.step_id JOIN chatbot_answers a ON a.id = o.answer_id
		JOIN chatbot_steps q ON q.id = a.step_id
		WHERE s.chatbot_id = ? ORDER BY o.step_id, q.sequence, a.sequence, a.id`, id)
	if err != nil {
		return nil, fmt.Errorf("store: chatbot %d only-if: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var step, answer int64
		if err := rows.Scan(&step, &answer); err != nil {
			return nil, fmt.Errorf("store: chatbot %d only-if: %w", id, err)
		}
		st := &sc.Steps[index[step]]
		st.OnlyIf = append(st.OnlyIf, answer)
	}
	return sc, rows.Err()
}

// Chatbots lists every chatbot by name, archived ones too.
func (s *Store) Chatbots(ctx context.Context) ([]model.ChatbotSummary, error) {
	return collect(ctx, s.r, "chatbots", func(r *sql.Rows) (model.ChatbotSummary, error) {
		var c model.ChatbotSummary
		var active int
		err := r.Scan(&c.ID, &c.Name, &active, &c.ImageType, &c.Steps, &c.Rules)
		c.Active = active != 0
		return c, err
	}, `SELECT b.id, b.name, b.active, b.image_type,
		  (SELECT count(*) FROM chatbot_steps WHERE chatbot_id = b.id),
		  (SELECT count(*) FROM channel_rules WHERE chatbot_id = b.id)
		FROM chatbots b ORDER BY b.name COLLATE NOCASE, b.id`)
}

// SetChatbotActive archives (false) or unarchives a chatbot.
func (s *Store) SetChatbotActive(ctx context.Context, id int64, active bool) error {
	res, err := s.exec(ctx, `UPDATE chatbots SET active = ?, updated_at = ? WHERE id = ?`, b2i(active), ms(time.Now()), id)
	if err != nil {
		return fmt.Errorf("store: chatbot %d active: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: chatbot %d: %w", id, ErrNotFound)
	}
	return nil
}

// DeleteChatbot deletes a chatbot and its script. Conversations keep
// their messages; rules keep its id, so their form can say it is gone.
func (s *Store) DeleteChatbot(ctx context.Context, id int64) error {
	res, err := s.exec(ctx, `DELETE FROM chatbots WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: delete chatbot %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: chatbot %d: %w", id, ErrNotFound)
	}
	return nil
}

// ChatbotImage returns a chatbot's uploaded picture; ErrNotFound when it
// has none.
func (s *Store) ChatbotImage(ctx context.Context, id int64) ([]byte, string, error) {
	var img []byte
	var typ string
	err := s.r.QueryRowContext(ctx, `SELECT image, image_type FROM chatbots WHERE id = ? AND image IS NOT NULL`, id).Scan(&img, &typ)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", fmt.Errorf("store: chatbot %d image: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, "", fmt.Errorf("store: chatbot %d image: %w", id, err)
	}
	return img, typ, nil
}

// SetChatbotImage stores a chatbot's picture; nil goes back to the
// generated avatar.
func (s *Store) SetChatbotImage(ctx context.Context, id int64, img []byte, typ string) error {
	var v any
	if img != nil {
		v = img
	} else {
		typ = ""
	}
	_, err := s.exec(ctx, `UPDATE chatbots SET image = ?, image_type = ?, updated_at = ? WHERE id = ?`, v, typ, ms(time.Now()), id)
	if err != nil {
		return fmt.Errorf("store: chatbot %d image: %w", id, err)
	}
	return nil
}

// ChatbotNames maps the given chatbot ids to their names and whether they
// are active; ids of deleted chatbots are absent.
func (s *Store) ChatbotNames(ctx context.Context, ids []int64) (map[int64]model.ChatbotSummary, error) {
	out := map[int64]model.ChatbotSummary{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, name, active FROM chatbots WHERE id IN (`+placeholders(len(ids))+`)`, int64sAny(ids)...)
	if err != nil {
		return nil, fmt.Errorf("store: chatbot names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c model.ChatbotSummary
		var active int
		if err := rows.Scan(&c.ID, &c.Name, &active); err != nil {
			return nil, fmt.Errorf("store: chatbot names: %w", err)
		}
		c.Active = active != 0
		out[c.ID] = c
	}
	return out, rows.Err()
}

// HasChatbots reports whether any chatbot was ever created, for the
// first-run data.
func (s *Store) HasChatbots(ctx context.Context) (bool, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM chatbots`).Scan(&n)
	return n > 0, err
}

// SaveChatbotPosition stores where a conversation stands in its script.
func (s *Store) SaveChatbotPosition(ctx context.Context, sessionID int64, p model.ChatbotPosition) error {
	answers, err := json.Marshal(orEmpty(p.Answers))
	if err != nil {
		return err
	}
	var step any
	if p.StepID != 0 {
		step = p.StepID
	}
	_, err = s.exec(ctx, `UPDATE chat_sessions SET chatbot_state = ?, chatbot_step_id = ?, chatbot_answers = ?, chatbot_email = ?, chatbot_phone = ? WHERE id = ?`,
		string(p.State), step, string(answers), p.Email, p.Phone, sessionID)
	if err != nil {
		return fmt.Errorf("store: session %d chatbot position: %w", sessionID, err)
	}
	return nil
}

// TakeFromBot gives an open conversation that no operator has to an
// operator (a chatbot forwarded it). It reports false when the
// conversation ended or someone took it meanwhile.
func (s *Store) TakeFromBot(ctx context.Context, sessionID, operatorID int64, operatorName string) (bool, error) {
	res, err := s.exec(ctx, `UPDATE chat_sessions SET operator_id = ?, operator_name = ?, chatbot_state = ?, chatbot_step_id = NULL
		WHERE id = ? AND status = 'open' AND operator_id IS NULL`, operatorID, operatorName, string(model.BotForwarded), sessionID)
	if err != nil {
		return false, fmt.Errorf("store: session %d forward: %w", sessionID, err)
	}
	n, _ := res.RowsAffected()
	if n == 1 {
		_, err = s.exec(ctx, `UPDATE visitors SET last_operator_id = ? WHERE id = (SELECT visitor_id FROM chat_sessions WHERE id = ?)`, operatorID, sessionID)
	}
	return n == 1, err
}

func orEmpty(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}
