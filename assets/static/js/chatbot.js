/* Chatbot pages: confirmations, the step dialog's sections by step type,
 * and Test mode, which plays the script through the visitor API as the
 * widget does. */
(function () {
  'use strict';

  document.addEventListener('submit', function (evt) {
    var f = evt.target;
    if (f instanceof HTMLFormElement && f.hasAttribute('data-confirm') && !window.confirm(f.getAttribute('data-confirm'))) {
      evt.preventDefault();
    }
  });

  // The step dialog shows what a type needs: answers for a question, tips.
  function byType(root) {
    var sel = root.querySelector && root.querySelector('[data-step-type]');
    if (!sel) return;
    var els = root.querySelectorAll('[data-show-when-type]');
    for (var i = 0; i < els.length; i++) {
      els[i].hidden = els[i].getAttribute('data-show-when-type').split(' ').indexOf(sel.value) < 0;
    }
  }
  document.addEventListener('change', function (evt) {
    if (evt.target.matches && evt.target.matches('[data-step-type]')) byType(evt.target.closest('form'));
  });

  // ---- Test mode ----
  var box = document.querySelector('[data-bot-test]');
  if (!box) return;
  var T = {};
  try { T = JSON.parse(document.getElementById('bot-i18n').textContent); } catch (e) { /* English */ }
  var log = box.querySelector('[data-bot-log]'), answers = box.querySelector('[data-bot-answers]');
  var end = box.querySelector('[data-bot-end]'), form = box.querySelector('[data-bot-form]');
  var input = form.querySelector('input'), errEl = box.querySelector('[data-bot-error]');
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var S = { token: '', sid: '', msgs: {}, last: 0, session: null, timer: null };

  function api(method, path, body) {
    var h = { 'Content-Type': 'application/json' };
    if (S.token) h.Authorization = 'Bearer ' + S.token; else h['X-CSRF-Token'] = csrf;
    return fetch(path, { method: method, headers: h, body: body ? JSON.stringify(body) : undefined, credentials: 'same-origin' })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (j) {
          if (!r.ok) throw new Error(j.error || r.statusText);
          return j;
        });
      });
  }
  function error(msg) { errEl.textContent = msg || ''; errEl.hidden = !msg; }
  function add(list) {
    (list || []).forEach(function (m) {
      if (S.msgs[m.id]) return;
      S.msgs[m.id] = m;
      S.last = Math.max(S.last, m.id);
      var kind = m.author && m.author.kind;
      var p = document.createElement('p');
      p.className = 'bot-msg ' + (kind === 'visitor' ? 'me' : kind === 'system' ? 'sys' : 'bot');
      p.textContent = m.body;
      log.appendChild(p);
    });
    draw();
  }
  // draw shows the pending question's answers, or the end with Restart.
  function draw() {
    var ids = Object.keys(S.msgs).map(Number).sort(function (a, b) { return a - b; });
    var last = null;
    for (var i = ids.length - 1; i >= 0; i--) {
      var m = S.msgs[ids[i]];
      if (m.author.kind === 'system') continue;
      last = m;
      break;
    }
    var bot = S.session && S.session.chatbot, running = bot && bot.state === 'running';
    var q = running && last && last.author.kind === 'bot' && last.step && last.step.type === 'question_selection' ? last : null;
    answers.textContent = '';
    if (q) {
      q.step.answers.forEach(function (a) {
        var b = document.createElement('button');
        b.type = 'button';
        b.className = 'btn btn-small';
        b.textContent = a.label;
        b.addEventListener('click', function () { send({ answer_id: a.id }); });
        answers.appendChild(b);
      });
    }
    input.disabled = !!q || !running;
    input.placeholder = q ? (T.choose || 'Select an option above') : '';
    end.hidden = !(bot && bot.state === 'ended');
    log.scrollTop = log.scrollHeight;
  }
  function poll() {
    clearTimeout(S.timer);
    if (!S.sid) return;
    Promise.all([
      api('GET', '/im_livechat/sessions/' + S.sid + '/messages?after=' + S.last),
      api('GET', '/im_livechat/sessions/' + S.sid)
    ]).then(function (r) {
      S.session = r[1].session;
      add(r[0].messages);
    }).catch(function (e) { error(e.message); }).then(function () { S.timer = setTimeout(poll, 700); });
  }
  function send(body) {
    error('');
    api('POST', '/im_livechat/sessions/' + S.sid + '/messages', body).then(function (r) { add([r.message]); poll(); }, function (e) { error(e.message); });
  }
  form.addEventListener('submit', function (evt) {
    evt.preventDefault();
    var v = input.value.trim();
    if (!v) return;
    input.value = '';
    send({ body: v });
  });
  box.querySelector('[data-bot-restart]').addEventListener('click', function () {
    api('POST', '/im_livechat/sessions/' + S.sid + '/chatbot/restart').then(function (r) { S.session = r.session; poll(); }, function (e) { error(e.message); });
  });
  // Leaving ends the test conversation.
  window.addEventListener('pagehide', function () {
    if (!S.sid) return;
    fetch('/im_livechat/sessions/' + S.sid + '/close', { method: 'POST', keepalive: true, headers: { Authorization: 'Bearer ' + S.token } });
  });
  api('POST', '/admin/config/chatbots/' + box.getAttribute('data-bot-test') + '/test').then(function (r) {
    S.token = r.visitor_token;
    S.sid = r.session.id;
    S.session = r.session;
    add(r.messages);
    poll();
  }, function (e) { error(e.message); });
})();
