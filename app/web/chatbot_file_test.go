package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"parley/app/apptest"
	"parley/app/model"
)

// startBotChat opens a chat on the default channel whose rule brings
// chatbot id, with nobody online, and returns the visitor's token and the
// session id.
func startBotChat(t *testing.T, srv *apptest.Server, chatbotID int64) (string, string) {
	t.Helper()
	ch := defaultChannel(t, srv)
	botRule(t, srv, ch.ID, chatbotID, false)
	code, _, body := call(t, srv, "POST", "/im_livechat/sessions", "", fmt.Sprintf(`{"channel_id":%d,"url":"https://shop.example/"}`, ch.ID))
	if code != http.StatusCreated {
		t.Fatalf("start: %d %v", code, body)
	}
	return body["visitor_token"].(string), body["session"].(map[string]any)["id"].(string)
}

// While the chatbot waits for a choice, an email or a phone number, a file
// is refused with a message the widget shows, and nothing is stored.
func TestChatbotRefusesAFileWhileWaitingForAnAnswer(t *testing.T) {
	srv := apptest.NewServer(t)
	sc, answers := welcomeBot(t, srv)
	vtok, sid := startBotChat(t, srv, sc.ID)
	path := "/im_livechat/sessions/" + sid + "/attachments"
	count := func() int {
		t.Helper()
		_, _, body := call(t, srv, "GET", "/im_livechat/sessions/"+sid+"/messages", vtok, "")
		return len(body["messages"].([]any))
	}
	before := count()

	code, body := upload(t, srv, path, vtok, "photo.png", pngBytes(t, 40, 30))
	if code != http.StatusConflict || body["code"] != "choose_answer" || body["error"] != "Select an option above before sending a file." {
		t.Fatalf("a file while the chatbot waits for a choice: %d %v", code, body)
	}
	if n := count(); n != before || countFiles(t, srv) != 0 {
		t.Fatalf("the refused file left %d messages (want %d) and %d files", n, before, countFiles(t, srv))
	}

	// On to the email step: a file is refused there too.
	if code, out := postVisitor(t, srv, sid, vtok, fmt.Sprintf(`{"answer_id":%d}`, answers["I have a pricing question"])); code != http.StatusCreated {
		t.Fatalf("answer: %d %v", code, out)
	}
	waitBodies(t, srv, sid, vtok, "Would you mind leaving your email address so that we can reach you back?")
	waitBotStep(t, srv, sc, sid, model.StepEmail)
	code, body = upload(t, srv, path, vtok, "photo.png", pngBytes(t, 40, 30))
	if code != http.StatusConflict || body["code"] != "answer_expected" || body["error"] != "Type your email address before sending a file." {
		t.Fatalf("a file while the chatbot waits for an email: %d %v", code, body)
	}
	if countFiles(t, srv) != 0 {
		t.Fatal("the refused file was stored")
	}
}

// A step that takes free input takes a file as the answer: the script
// plays on, and the file stays in the conversation for the operator.
func TestChatbotTakesAFileAsFreeInput(t *testing.T) {
	srv := apptest.NewServer(t)
	sc := &model.Chatbot{Name: "Screenshots", Language: "en", Steps: []model.ChatbotStep{
		{Type: model.StepFreeInput, Message: model.Texts{"en": "Show us the problem."}},
		{Type: model.StepText, Message: model.Texts{"en": "Thanks, we have it."}},
	}}
	if _, err := srv.App.Chatbots.Save(context.Background(), sc); err != nil {
		t.Fatal(err)
	}
	vtok, sid := startBotChat(t, srv, sc.ID)
	code, body := upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "screen.png", pngBytes(t, 40, 30))
	if code != http.StatusCreated || attachmentOf(t, body)["name"] != "screen.png" {
		t.Fatalf("a file as free input: %d %v", code, body)
	}
	bodies, _ := waitBodies(t, srv, sid, vtok, "Thanks, we have it.")
	if len(bodies) != 3 || bodies[0] != "Show us the problem." {
		t.Fatalf("conversation after the file: %q", bodies)
	}
	// Its state follows its last message a moment later.
	waitBotState(t, srv, sid, model.BotEnded)
	// The script is over: a file is refused as typed text is.
	code, body = upload(t, srv, "/im_livechat/sessions/"+sid+"/attachments", vtok, "again.png", pngBytes(t, 40, 30))
	if code != http.StatusConflict || body["code"] != "chatbot_ended" {
		t.Fatalf("a file after the script ended: %d %v", code, body)
	}
}
