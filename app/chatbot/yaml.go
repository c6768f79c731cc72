package chatbot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"parley/app/model"
)

// The YAML file of a chatbot, so scripts can live in version control:
//
//	name: Welcome Bot
//	language: en
//	steps:
//	  - type: question_selection
//	    message: {en: What are you looking for?, es: ¿Qué está buscando?}
//	    answers:
//	      - label: {en: I have a pricing question, es: ...}
//	        redirect_link: /pricing
//	  - type: text
//	    message: Let me check...
//	    only_if: [I have a pricing question]
//
// A text is a map of language → text, or a plain string in the chatbot's
// language. "Only If" names answers by their label in that language,
// written "#2: label" (step 2's answer) when two questions share it.

type yamlFile struct {
	Name     string     `yaml:"name"`
	Language string     `yaml:"language,omitempty"`
	Steps    []yamlStep `yaml:"steps"`
}

type yamlStep struct {
	Type    string       `yaml:"type"`
	Message yamlTexts    `yaml:"message,omitempty"`
	Answers []yamlAnswer `yaml:"answers,omitempty"`
	OnlyIf  []string     `yaml:"only_if,omitempty,flow"`
	TeamID  int64        `yaml:"team_id,omitempty"`
	line    int
}

type yamlAnswer struct {
	Label        yamlTexts `yaml:"label"`
	RedirectLink string    `yaml:"redirect_link,omitempty"`
	line         int
}

type yamlTexts map[string]string

// LineError is one problem of an imported file, at its line (0: the file
// as a whole).
type LineError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

func (e LineError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Message)
}

// ImportError lists every problem found in a file.
type ImportError struct{ Errors []LineError }

func (e *ImportError) Error() string {
	var b strings.Builder
	for i, l := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(l.Error())
	}
	return b.String()
}

var (
	fileKeys   = []string{"name", "language", "steps"}
	stepKeys   = []string{"type", "message", "answers", "only_if", "team_id"}
	answerKeys = []string{"label", "redirect_link"}
)

// Export writes a chatbot as YAML; Import reads it back unchanged.
func Export(sc *model.Chatbot) ([]byte, error) {
	f := yamlFile{Name: sc.Name, Language: sc.Language}
	lang := sc.Language
	labelOwners := map[string]int{} // label → how many questions have it
	for _, st := range sc.Steps {
		seen := map[string]bool{}
		for _, a := range st.Answers {
			if l := a.Label[lang]; !seen[l] {
				seen[l] = true
				labelOwners[l]++
			}
		}
	}
	ref := map[int64]string{}
	for i, st := range sc.Steps {
		for _, a := range st.Answers {
			l := a.Label[lang]
			if labelOwners[l] > 1 || strings.HasPrefix(l, "#") {
				l = "#" + strconv.Itoa(i+1) + ": " + l
			}
			ref[a.ID] = l
		}
	}
	for _, st := range sc.Steps {
		ys := yamlStep{Type: string(st.Type), Message: yamlTexts(st.Message), TeamID: st.TeamID}
		for _, a := range st.Answers {
			ys.Answers = append(ys.Answers, yamlAnswer{Label: yamlTexts(a.Label), RedirectLink: a.RedirectLink})
		}
		for _, id := range st.OnlyIf {
			if r, ok := ref[id]; ok {
				ys.OnlyIf = append(ys.OnlyIf, r)
			}
		}
		f.Steps = append(f.Steps, ys)
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("chatbot: export: %w", err)
	}
	return b.Bytes(), enc.Close()
}

// MarshalYAML writes a text as a flow map of language → text, so every
// language stays explicit and the file round trips.
func (t yamlTexts) MarshalYAML() (any, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &yaml.Node{Kind: yaml.ScalarNode, Value: t[k]})
	}
	return n, nil
}

// Import reads a chatbot's YAML file. Answers and steps get provisional
// negative IDs (the store assigns real ones); every problem is reported
// with its line, in one *ImportError. languages are the tags texts may use.
func Import(data []byte, languages []string) (*model.Chatbot, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, &ImportError{Errors: []LineError{yamlSyntaxError(err)}}
	}
	var errs []LineError
	add := func(line int, msg string, args ...any) {
		errs = append(errs, LineError{Line: line, Message: fmt.Sprintf(msg, args...)})
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		line := 0
		if len(root.Content) > 0 {
			line = root.Content[0].Line
		}
		add(line, "the file must be a mapping with name, language and steps")
		return nil, &ImportError{Errors: errs}
	}
	top := root.Content[0]
	checkKeys(top, fileKeys, add)
	var f yamlFile
	if err := top.Decode(&f); err != nil {
		return nil, &ImportError{Errors: append(errs, yamlSyntaxError(err))}
	}
	sc := &model.Chatbot{Name: strings.TrimSpace(f.Name), Language: f.Language, Active: true}
	if sc.Language == "" {
		sc.Language = "en"
	}
	if !slices.Contains(languages, sc.Language) {
		add(valueLine(top, "language"), "unknown language %q: use one of %s", sc.Language, strings.Join(languages, ", "))
	}
	if sc.Name == "" {
		add(valueLine(top, "name"), "the chatbot needs a name")
	}
	stepsNode := valueNode(top, "steps")
	if stepsNode == nil || stepsNode.Kind != yaml.SequenceNode {
		add(valueLine(top, "steps"), "steps must be a list")
		return nil, &ImportError{Errors: errs}
	}
	next := int64(0)
	byLabel := map[string][]int64{} // label → answers of earlier questions
	owner := map[int64]int{}        // answer → its step's index
	for i, sn := range stepsNode.Content {
		if sn.Kind != yaml.MappingNode {
			add(sn.Line, "step %d must be a mapping", i+1)
			continue
		}
		checkKeys(sn, stepKeys, add)
		ys := f.Steps[i]
		next--
		st := model.ChatbotStep{ID: next, Type: model.StepType(ys.Type), Message: ys.Message.in(sc.Language), TeamID: ys.TeamID}
		if !st.Type.Valid() {
			add(valueLine(sn, "type"), "step %d: unknown type %q", i+1, ys.Type)
		}
		textsErrors(valueNode(sn, "message"), sn.Line, st.Message, sc.Language, languages, st.Type != model.StepForward, fmt.Sprintf("step %d: message", i+1), add)
		if st.Message == nil {
			st.Message = model.Texts{}
		}
		if len(ys.Answers) > 0 && st.Type != model.StepQuestion {
			add(valueLine(sn, "answers"), "step %d: only questions have answers", i+1)
		}
		seenRefs := map[int64]bool{}
		for _, ref := range ys.OnlyIf {
			ids, err := resolveOnlyIf(ref, byLabel, owner)
			if err != "" {
				add(valueLine(sn, "only_if"), "step %d: only_if %q: %s", i+1, ref, err)
				continue
			}
			for _, id := range ids {
				if !seenRefs[id] {
					seenRefs[id] = true
					st.OnlyIf = append(st.OnlyIf, id)
				}
			}
		}
		if an := valueNode(sn, "answers"); an != nil && an.Kind == yaml.SequenceNode {
			for j, a := range ys.Answers {
				node := an.Content[j]
				checkKeys(node, answerKeys, add)
				next--
				ans := model.ChatbotAnswer{ID: next, Label: a.Label.in(sc.Language), RedirectLink: strings.TrimSpace(a.RedirectLink)}
				textsErrors(valueNode(node, "label"), node.Line, ans.Label, sc.Language, languages, true, fmt.Sprintf("step %d: answer %d", i+1, j+1), add)
				if ans.RedirectLink != "" {
					if err := CheckRedirect(ans.RedirectLink); err != nil {
						add(valueLine(node, "redirect_link"), "step %d: answer %d: %s", i+1, j+1, strings.TrimSuffix(inEnglish(err), "."))
					}
				}
				st.Answers = append(st.Answers, ans)
			}
		}
		for _, a := range st.Answers {
			l := a.Label[sc.Language]
			byLabel[l] = append(byLabel[l], a.ID)
			owner[a.ID] = i
		}
		sc.Steps = append(sc.Steps, st)
	}
	if len(errs) > 0 {
		return nil, &ImportError{Errors: errs}
	}
	return sc, nil
}

// inEnglish is an error's message in English, without a FieldError's field.
func inEnglish(err error) string {
	var fe *model.FieldError
	if errors.As(err, &fe) {
		return fmt.Sprintf(fe.Message, fe.Args...)
	}
	return err.Error()
}

// resolveOnlyIf finds the answers an "Only If" entry names among earlier
// questions' answers.
func resolveOnlyIf(ref string, byLabel map[string][]int64, owner map[int64]int) ([]int64, string) {
	label, step := ref, 0
	if rest, ok := strings.CutPrefix(ref, "#"); ok {
		num, l, found := strings.Cut(rest, ": ")
		n, err := strconv.Atoi(num)
		if !found || err != nil || n < 1 {
			return nil, `write "#<step number>: <answer label>"`
		}
		label, step = l, n
	}
	ids := byLabel[label]
	if step != 0 {
		var mine []int64
		for _, id := range ids {
			if owner[id] == step-1 {
				mine = append(mine, id)
			}
		}
		ids = mine
	}
	switch {
	case len(ids) == 0:
		return nil, "no earlier question has this answer"
	case len(ids) > 1 && step == 0:
		questions := map[int]bool{}
		for _, id := range ids {
			questions[owner[id]] = true
		}
		if len(questions) > 1 {
			return nil, `several earlier questions have this answer: write "#<step number>: <answer label>"`
		}
	}
	return ids, ""
}

func textsErrors(n *yaml.Node, line int, t model.Texts, lang string, languages []string, required bool, what string, add func(int, string, ...any)) {
	if n != nil {
		line = n.Line
	}
	for k, v := range t {
		if !slices.Contains(languages, k) {
			add(line, "%s: unknown language %q", what, k)
		}
		if len([]rune(v)) > MaxTextLen {
			add(line, "%s: at most %d characters", what, MaxTextLen)
		}
	}
	if required && strings.TrimSpace(t[lang]) == "" {
		add(line, "%s: a text in %s is required", what, lang)
	}
}

// UnmarshalYAML accepts a plain string (the chatbot's language, filled in
// by the caller as "") or a map of language → text.
func (t *yamlTexts) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*t = yamlTexts{"": n.Value}
		return nil
	}
	m := map[string]string{}
	if err := n.Decode(&m); err != nil {
		return err
	}
	*t = m
	return nil
}

// in gives the texts with a plain string's text under lang.
func (t yamlTexts) in(lang string) model.Texts {
	out := model.Texts{}
	for k, v := range t {
		if k == "" {
			k = lang
		}
		if v = strings.TrimSpace(v); v != "" {
			out[k] = v
		}
	}
	return out
}

func checkKeys(n *yaml.Node, allowed []string, add func(int, string, ...any)) {
	if n.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(allowed, k.Value) {
			add(k.Line, "unknown field %q (expected one of %s)", k.Value, strings.Join(allowed, ", "))
		}
	}
}

func valueNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func valueLine(n *yaml.Node, key string) int {
	if v := valueNode(n, key); v != nil {
		return v.Line
	}
	return n.Line
}

// yamlSyntaxError keeps the line yaml reports ("yaml: line 3: ...").
func yamlSyntaxError(err error) LineError {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, m, found := strings.Cut(rest, ": "); found {
			if n, err := strconv.Atoi(num); err == nil {
				return LineError{Line: n, Message: m}
			}
		}
	}
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = strings.TrimPrefix(te.Errors[0], "line ")
		if num, m, found := strings.Cut(msg, ": "); found {
			if n, err := strconv.Atoi(num); err == nil {
				return LineError{Line: n, Message: m}
			}
		}
	}
	return LineError{Message: msg}
}
