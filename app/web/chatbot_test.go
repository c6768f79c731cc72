package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"parley/app/apptest"
	"parley/app/model"
)

// welcomeBot returns the first-run Welcome Bot and the ids of its answers
// by English label.
func welcomeBot(t *testing.T, srv *apptest.Server) (*model.Chatbot, map[string]int64) {
	t.Helper()
	ctx := context.Background()
	list, err := srv.App.Chatbots.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.Name == "Welcome Bot" {
			sc, err := srv.App.Chatbots.Get(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			answers := map[string]int64{}
			for _, st := range sc.Steps {
				for _, a := range st.Answers {
					answers[a.Label["en"]] = a.ID
				}
			}
			return sc, answers
		}
	}
	t.Fatalf(`no Welcome Bot among %+v`, list)
	return nil, nil
}

// botRule makes the default channel's only rule bring chatbot id.
func botRule(t *testing.T, srv *apptest.Server, channelID, chatbotID int64, onlyIfNoOperator bool) {
	t.Helper()
	_, err := srv.Livechat.SaveRules(context.Background(), channelID, []model.Rule{{Action: model.ActionShow, ChatbotID: chatbotID, ChatbotOnlyIfNoOperator: onlyIfNoOperator}})
	if err != nil {
		t.Fatal(err)
	}
}

// waitBodies polls the visitor's history until its last message says
// last, and returns every body in order. The timeout is a hang guard.
func waitBodies(t *testing.T, srv *apptest.Server, sid, vtoken, last string) ([]string, []any) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, _, body := call(t, srv, "GET", "/im_livechat/sessions/"+sid+"/messages", vtoken, "")
		msgs, _ := body["messages"].([]any)
		var bodies []string
		for _, m := range msgs {
			bodies = append(bodies, m.(map[string]any)["body"].(string))
		}
		if len(bodies) > 0 && bodies[len(bodies)-1] == last {
			return bodies, msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf(`the conversation never reached %q: %q`, last, bodies)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func postVisitor(t *testing.T, srv *apptest.Server, sid, vtoken, body string) (int, map[string]any) {
	t.Helper()
	code, _, out := call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/messages", vtoken, body)
	return code, out
}

func sessionState(t *testing.T, srv *apptest.Server, sid, vtoken string) map[string]any {
	t.Helper()
	_, _, body := call(t, srv, "GET", "/im_livechat/sessions/"+sid, vtoken, "")
	return body["session"].(map[string]any)
}

// waitBotState waits until the chatbot is in state want. The script's
// position is saved after the messages of the steps it played, so its last
// message can be read a moment before its state says so, and what the
// visitor sends next is checked against the stored step.
func waitBotState(t *testing.T, srv *apptest.Server, sid string, want model.ChatbotState) {
	t.Helper()
	srv.WaitSession(t, sid, "chatbot state "+string(want), func(x *model.Session) bool { return x.Chatbot.State == want })
}

// waitBotStep waits until the chatbot waits at a step of type want.
func waitBotStep(t *testing.T, srv *apptest.Server, sc *model.Chatbot, sid string, want model.StepType) {
	t.Helper()
	srv.WaitSession(t, sid, "a chatbot step of type "+string(want), func(x *model.Session) bool {
		for _, st := range sc.Steps {
			if st.ID == x.Chatbot.StepID {
				return st.Type == want
			}
		}
		return false
	})
}

func TestWelcomeBotPricingWithoutOperator(t *testing.T) {
	srv := apptest.NewServer(t)
	ch := defaultChannel(t, srv)
	sc, answers := welcomeBot(t, srv)
	botRule(t, srv, ch.ID, sc.ID, false)

	// Nobody online, but the chatbot makes the widget available.
	_, _, body := call(t, srv, "GET", fmt.Sprintf("/im_livechat/init?channel_id=%d&url=https://shop.example/", ch.ID), "", "")
	if body["available"] != true || body["rule"].(map[string]any)["chatbot"].(map[string]any)["name"] != "Welcome Bot" {
		t.Fatalf(`init: %v`, body)
	}
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID))
	if code != http.StatusCreated {
		t.Fatalf(`start: %d %v`, code, body)
	}
	vtoken := body["visitor_token"].(string)
	sess := body["session"].(map[string]any)
	sid := sess["id"].(string)
	if sess["operator"] != nil || sess["chatbot"].(map[string]any)["state"] != "running" {
		t.Fatalf(`a chatbot session: %v`, sess)
	}
	// The welcome steps come with the session: the text, then the
	// question with its answers.
	msgs := body["messages"].([]any)
	if len(msgs) != 2 || msgs[0].(map[string]any)["body"] != "Welcome to CompanyName! 👋" {
		t.Fatalf(`welcome steps: %v`, msgs)
	}
	q := msgs[1].(map[string]any)
	step := q["step"].(map[string]any)
	if q["author"].(map[string]any)["kind"] != "bot" || step["type"] != "question_selection" || len(step["answers"].([]any)) != 3 {
		t.Fatalf(`question: %v`, q)
	}
	if a := step["answers"].([]any)[1].(map[string]any); a["redirect_link"] != "/" || a["label"] != "I am looking for your documentation" {
		t.Fatalf(`documentation answer: %v`, a)
	}

	// Typed text where a choice is expected is refused, nothing stored.
	if code, out := postVisitor(t, srv, sid, vtoken, `{"body":"hello?"}`); code != http.StatusConflict || out["code"] != "choose_answer" {
		t.Fatalf(`text for a question: %d %v`, code, out)
	}
	if code, out := postVisitor(t, srv, sid, vtoken, `{"answer_id":999999}`); code != http.StatusUnprocessableEntity || out["code"] != "invalid_answer_id" {
		t.Fatalf(`unknown answer: %d %v`, code, out)
	}
	code, out := postVisitor(t, srv, sid, vtoken, fmt.Sprintf(`{"answer_id":%d}`, answers["I have a pricing question"]))
	if code != http.StatusCreated || out["message"].(map[string]any)["body"] != "I have a pricing question" {
		t.Fatalf(`answer: %d %v`, code, out)
	}
	email := "Would you mind leaving your email address so that we can reach you back?"
	bodies, msgs := waitBodies(t, srv, sid, vtoken, email)
	want := []string{"Welcome to CompanyName! 👋", "What are you looking for?", "I have a pricing question",
		"Hmmm, let me check if I can find someone that could help you with that...",
		"Hu-ho, it looks like none of our operators are available 🙁", email}
	if strings.Join(bodies, "|") != strings.Join(want, "|") {
		t.Fatalf(`pricing branch without an operator:\n%q\nwant\n%q`, bodies, want)
	}
	if st := msgs[len(msgs)-1].(map[string]any)["step"].(map[string]any); st["type"] != "question_email" {
		t.Fatalf(`the email step says what it asks: %v`, st)
	}

	// An earlier question's answer, and an oversized input, are refused.
	waitBotStep(t, srv, sc, sid, model.StepEmail)
	if code, out := postVisitor(t, srv, sid, vtoken, fmt.Sprintf(`{"answer_id":%d}`, answers["I am just looking around"])); code != http.StatusConflict || out["code"] != "answer_not_current" {
		t.Fatalf(`answer to a past question: %d %v`, code, out)
	}
	if code, out := postVisitor(t, srv, sid, vtoken, fmt.Sprintf(`{"body":%q}`, strings.Repeat("x", 4001))); code != http.StatusUnprocessableEntity || out["field"] != "body" {
		t.Fatalf(`oversized input: %d %v`, code, out)
	}

	// An email that is not an address: the bot says so and waits.
	if code, _ := postVisitor(t, srv, sid, vtoken, `{"body":"my mail is bob"}`); code != http.StatusCreated {
		t.Fatalf(`invalid email post: %d`, code)
	}
	waitBodies(t, srv, sid, vtoken, "'my mail is bob' does not look like a valid email. Can you please try again?")
	if s := sessionState(t, srv, sid, vtoken); s["chatbot"].(map[string]any)["state"] != "running" {
		t.Fatalf(`still waiting for the email: %v`, s)
	}
	if code, _ := postVisitor(t, srv, sid, vtoken, `{"body":"bob@example.com"}`); code != http.StatusCreated {
		t.Fatalf(`valid email post: %d`, code)
	}
	waitBotState(t, srv, sid, model.BotEnded)
	// Ended: typing more is refused until the visitor restarts.
	if code, out := postVisitor(t, srv, sid, vtoken, `{"body":"hello?"}`); code != http.StatusConflict || out["code"] != "chatbot_ended" {
		t.Fatalf(`text after the end: %d %v`, code, out)
	}
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions/"+sid+"/chatbot/restart", vtoken, "")
	if code != http.StatusOK || body["session"].(map[string]any)["chatbot"].(map[string]any)["state"] != "running" {
		t.Fatalf(`restart: %d %v`, code, body)
	}
	bodies, _ = waitBodies(t, srv, sid, vtoken, "What are you looking for?")
	if n := len(bodies); bodies[n-3] != "Restarting conversation..." || bodies[n-2] != "Welcome to CompanyName! 👋" {
		t.Fatalf(`after restart: %q`, bodies)
	}
}

func TestWelcomeBotForwardsToAnAvailableOperator(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	sc, answers := welcomeBot(t, srv)
	botRule(t, srv, ch.ID, sc.ID, false)
	tok := token(t, srv, admin)
	op := dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, admin.ID)

	// The chatbot greets even with an operator online (the rule does not
	// say "only if no operator").
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID))
	if code != http.StatusCreated || body["session"].(map[string]any)["operator"] != nil {
		t.Fatalf(`start: %d %v`, code, body)
	}
	vtoken, sid := body["visitor_token"].(string), body["session"].(map[string]any)["id"].(string)
	postVisitor(t, srv, sid, vtoken, fmt.Sprintf(`{"answer_id":%d}`, answers["I have a pricing question"]))
	// The operator is told the conversation is theirs, and it is.
	f := op.next("session")
	if f["id"] != sid || f["operator"].(map[string]any)["name"] != "Ada" {
		t.Fatalf(`operator frame: %v`, f)
	}
	bodies, _ := waitBodies(t, srv, sid, vtoken, "Ada has joined the conversation.")
	if bodies[len(bodies)-2] != "Hmmm, let me check if I can find someone that could help you with that..." {
		t.Fatalf(`forwarded: %q`, bodies)
	}
	s := sessionState(t, srv, sid, vtoken)
	if s["operator"].(map[string]any)["name"] != "Ada" || s["chatbot"].(map[string]any)["state"] != "forwarded" {
		t.Fatalf(`session after the forward: %v`, s)
	}
	// The operator sees the whole conversation, the bot's answers too.
	_, _, body = call(t, srv, "GET", "/api/v1/sessions/"+sid+"/messages", tok, "")
	if ms := body["messages"].([]any); len(ms) != len(bodies) {
		t.Fatalf(`operator's history: %d messages, visitor's %d`, len(ms), len(bodies))
	}
	// From now on people talk: free text is taken, answers are not.
	if code, _ := postVisitor(t, srv, sid, vtoken, `{"body":"How much is it?"}`); code != http.StatusCreated {
		t.Fatalf(`free text after the forward: %d`, code)
	}
	if code, out := postVisitor(t, srv, sid, vtoken, fmt.Sprintf(`{"answer_id":%d}`, answers["I am just looking around"])); code != http.StatusConflict || out["code"] != "no_question" {
		t.Fatalf(`answer after the forward: %d %v`, code, out)
	}
	// The human is credited: their session list holds it.
	_, _, body = call(t, srv, "GET", "/api/v1/sessions?status=open", tok, "")
	if list := body["sessions"].([]any); len(list) != 1 || list[0].(map[string]any)["id"] != sid {
		t.Fatalf(`operator's sessions: %v`, list)
	}
}

func TestChatbotOnlyIfNoOperatorAndArchivedChatbot(t *testing.T) {
	srv := apptest.NewServer(t)
	admin := srv.CreateUser(t, "ada@example.com", "Ada", model.RoleAdmin)
	ch := defaultChannel(t, srv)
	sc, _ := welcomeBot(t, srv)
	botRule(t, srv, ch.ID, sc.ID, true)
	start := fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID)

	// Nobody online: the bot greets.
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", start)
	if code != http.StatusCreated || body["session"].(map[string]any)["chatbot"] == nil {
		t.Fatalf(`no operator, bot: %d %v`, code, body)
	}
	// An operator online: the chat goes to them, no bot.
	tok := token(t, srv, admin)
	dial(t, srv, "/api/v1/ws", http.Header{"Authorization": {"Bearer " + tok}})
	waitOnline(t, srv, admin.ID)
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions", "", start)
	if s := body["session"].(map[string]any); code != http.StatusCreated || s["chatbot"] != nil || s["operator"].(map[string]any)["name"] != "Ada" {
		t.Fatalf(`operator online: %d %v`, code, body)
	}

	// An archived chatbot: the rule works without it.
	if err := srv.App.Chatbots.SetActive(context.Background(), sc.ID, false); err != nil {
		t.Fatal(err)
	}
	_, _, body = call(t, srv, "GET", fmt.Sprintf("/im_livechat/init?channel_id=%d&url=https://shop.example/", ch.ID), "", "")
	if body["rule"].(map[string]any)["chatbot"] != nil || body["available"] != true {
		t.Fatalf(`init with an archived chatbot: %v`, body)
	}
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions", "", start)
	if s := body["session"].(map[string]any); code != http.StatusCreated || s["chatbot"] != nil || s["operator"] == nil {
		t.Fatalf(`archived chatbot, operator online: %d %v`, code, body)
	}
	// Deleted, and nobody online: no bot, no operator, the usual 409.
	if err := srv.App.Chatbots.Delete(context.Background(), sc.ID); err != nil {
		t.Fatal(err)
	}
	srv.Livechat.Presence.Disconnect(admin.ID)
	srv.Livechat.Presence.Sweep()
	if st := srv.Livechat.Presence.Status(admin.ID); st == "online" {
		t.Fatalf(`the operator is still %s`, st)
	}
	code, _, body = call(t, srv, "POST", "/im_livechat/sessions", "", start)
	if code != http.StatusConflict || body["code"] != "no_operator_available" {
		t.Fatalf(`deleted chatbot, nobody online: %d %v`, code, body)
	}
}

func TestChatbotResumesAfterRestart(t *testing.T) {
	srv := apptest.NewServer(t)
	ch := defaultChannel(t, srv)
	sc, answers := welcomeBot(t, srv)
	botRule(t, srv, ch.ID, sc.ID, false)
	_, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID))
	vtoken, sid := body["visitor_token"].(string), body["session"].(map[string]any)["id"].(string)
	postVisitor(t, srv, sid, vtoken, fmt.Sprintf(`{"answer_id":%d}`, answers["I have a pricing question"]))
	waitBodies(t, srv, sid, vtoken, "Would you mind leaving your email address so that we can reach you back?")

	srv.Restart(t)

	// The new process knows the visitor waits on the email step.
	if code, out := postVisitor(t, srv, sid, vtoken, `{"body":"hi"}`); code != http.StatusCreated {
		t.Fatalf(`post after restart: %d %v`, code, out)
	}
	waitBodies(t, srv, sid, vtoken, "'hi' does not look like a valid email. Can you please try again?")
	postVisitor(t, srv, sid, vtoken, `{"body":"ana@example.com"}`)
	waitBotState(t, srv, sid, model.BotEnded)
}

func TestLeadGenerationBotCreatesALead(t *testing.T) {
	srv := apptest.NewServer(t)
	ch := defaultChannel(t, srv)
	ctx := context.Background()
	list, _ := srv.App.Chatbots.List(ctx)
	var botID int64
	for _, c := range list {
		if c.Name == "Lead Generation Bot" {
			botID = c.ID
		}
	}
	team := &model.SalesTeam{Name: "Tents", Active: true}
	if err := srv.App.Leads.SaveTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	sc, _ := srv.App.Chatbots.Get(ctx, botID)
	last := sc.Steps[len(sc.Steps)-1]
	last.TeamID = team.ID
	if _, _, err := srv.App.Chatbots.SaveStep(ctx, botID, last); err != nil {
		t.Fatal(err)
	}
	botRule(t, srv, ch.ID, botID, false)

	_, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID))
	vtoken, sid := body["visitor_token"].(string), body["session"].(map[string]any)["id"].(string)
	if m := body["messages"].([]any); len(m) != 1 || m[0].(map[string]any)["step"].(map[string]any)["type"] != "free_input_multi" {
		t.Fatalf(`greeting: %v`, m)
	}
	postVisitor(t, srv, sid, vtoken, `{"body":"We need 40 tents for a school trip"}`)
	waitBodies(t, srv, sid, vtoken, "Would you mind leaving your email address so that we can reach you back?")
	postVisitor(t, srv, sid, vtoken, `{"body":"Ana <Ana@Example.com>"}`)
	waitBodies(t, srv, sid, vtoken, "Thank you, you should hear back from us very soon!")
	deadline := time.Now().Add(5 * time.Second)
	for {
		leads, err := srv.App.Leads.Leads(ctx, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if len(leads) == 1 {
			l := leads[0]
			if l.Title != "Lead Generation Bot's New Lead" || l.Email != "ana@example.com" || l.TeamID != team.ID || l.Source != "Chatbot" ||
				!strings.Contains(l.Notes, "We need 40 tents for a school trip") {
				t.Fatalf(`lead: %+v`, l)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf(`no lead was created: %v`, leads)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
