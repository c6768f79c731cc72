/*
 * Parley operator chat (loaded on every admin page for a signed-in user; plain JS, no inline scripts).
 *
 * - One websocket per tab to /admin/api/ws. It is what makes the operator "online": it reconnects by
 *   itself (exponential back-off with jitter, 1 s to 30 s) and, once connected and after every
 *   reconnect, catches up: every conversation it shows asks for messages?after=<cursor>, and the list
 *   of open chats tells which others got news meanwhile, announced as live messages are. Nothing is
 *   lost or shown twice (messages are kept deduplicated by id and sorted by id).
 * - Chat windows docked bottom right on every page. A window opens for a chat newly assigned to the
 *   operator (told by its session frame or by a notice that came first, as a transfer's does,
 *   whichever the tab hears of first) and for a new message in a chat whose window is not open.
 *   Open windows, their minimised state, scroll position and drafts live in sessionStorage, so they
 *   survive navigation in this tab.
 * - The Conversations page (#conversations) shows the same conversation view full size, with the list
 *   of chats on the left kept live; the dock is hidden there.
 * - Notifications that are hard to miss: "(3) …" in the tab title, a badge in the menu, a short sound
 *   (WebAudio, mutable, remembered in localStorage) and a browser notification when allowed. A
 *   message is announced by one tab only: tabs claim it by id (Web Locks when available, else a
 *   localStorage check-and-set), the visible tab first.
 * - Presence: [data-presence-user="<id>"] dots follow `presence` frames; activity frames keep the
 *   operator online (one on load, then at most one a minute on key, click, scroll or tab focus).
 *
 * Message bodies are plain text: they are rendered with textContent, and http(s) addresses become <a>
 * elements built with the DOM. Nothing received is ever parsed as HTML.
 */
(function () {
  'use strict';

  var dockEl = document.getElementById('chat-dock');
  var i18nEl = document.getElementById('chat-i18n');
  if (!dockEl || !i18nEl || !window.WebSocket || !window.fetch) return;

  var ME = Number(dockEl.getAttribute('data-user-id'));
  // LOCALE formats dates in the page's language (the admin's choice in My
  // Profile, else the browser's), with the browser's region when it has one
  // for that language ("es" page, "es-MX" browser → es-MX).
  var LOCALE = (function () {
    var lang = document.documentElement.lang;
    if (!lang) return undefined;
    var mine = (navigator.languages || [navigator.language]).filter(function (x) { return x && x.split('-')[0] === lang; });
    return mine[0] || lang;
  })();
  var T = {};
  try { T = JSON.parse(i18nEl.textContent); } catch (e) { T = {}; }
  function tr(key, arg) {
    var s = T[key] || key;
    return arg === undefined ? s : s.replace(/%[sd]/, String(arg));
  }

  var API = '/admin/api';
  var MAX_LEN = 4000;
  var PAGE = 1000;              // the server lists at most this many messages at a time
  var TYPING_EVERY = 2000;      // send "typing" at most this often while typing
  var TYPING_IDLE = 3000;       // then "stopped typing" after this much silence
  var TYPING_SHOW = 6000;       // hide the other side's indicator if it is not refreshed
  var ACTIVITY_EVERY = 60000;   // activity frames at most once a minute
  var PING_EVERY = 25000;       // detect dead sockets the browser did not notice
  var WINDOW_W = 336;           // a docked window and its gap, for how many fit
  var KEY_WINDOWS = 'parley.chat.windows';
  var CLAIM_HOLD = 30000; // how long a tab keeps a news item's lock (claim)
  var KEY_DRAFTS = 'parley.chat.drafts';
  var KEY_MUTED = 'parley.chat.muted';
  var KEY_CLAIM = 'parley.chat.notified.';
  var TAB_ID = Math.random().toString(36).slice(2);
  var BASE_TITLE = document.title;

  var convRoot = document.getElementById('conversations');
  var P = window.Parley || {};
  var apiFetch = P.fetch || function (url, opts) { return fetch(url, Object.assign({ credentials: 'same-origin' }, opts)); };
  function toast(msg, isError) { if (P.toast) P.toast(msg, isError); }

  // ---- Small helpers --------------------------------------------------------
  function api(path, opts) {
    return apiFetch(API + path, opts).then(function (res) {
      if (res.status === 204) return null;
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          var err = new Error((body && body.error) || res.statusText || ('HTTP ' + res.status));
          err.status = res.status;
          throw err;
        }
        return body;
      });
    }, function () {
      var err = new Error(tr('failed'));
      err.status = 0;
      throw err;
    });
  }
  // post sends a JSON body; keepalive lets it finish after the page is left
  // (a read marker sent as the operator clicks to another page).
  function post(path, body, keepalive) {
    return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body), keepalive: !!keepalive });
  }
  function sessPath(sid) { return '/sessions/' + encodeURIComponent(sid); }

  // clientId names a message before the server has it: a retry sends the
  // same one, so a post whose answer was lost is never stored twice, and
  // the pending bubble is matched to the server's copy by it, not by text.
  function clientId() {
    var b = new Uint8Array(12);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }
  function field(root, name) { return root.querySelector('[data-f="' + name + '"]'); }
  function setText(root, name, text) { var f = field(root, name); if (f) f.textContent = text || ''; return f; }
  function safeURL(u) { return typeof u === 'string' && /^https?:\/\//i.test(u) ? u : ''; }
  function hue(id) { return ((Number(id) || 0) * 47) % 360; }
  function initials(name) {
    var out = '';
    String(name || '').split(/\s+/).forEach(function (w) { if (w && out.length < 2) out += w.charAt(0).toUpperCase(); });
    return out || '?';
  }
  function setAvatar(e, id, name) {
    if (!e) return;
    e.textContent = initials(name);
    e.style.setProperty('--avatar-bg', 'hsl(' + hue(id) + ',45%,32%)');
  }
  function visitorTitle(s) {
    var c = s.visitor && s.visitor.country_name;
    return s.visitor_name + (c ? ' (' + c + ')' : '');
  }
  var timeFmt = new Intl.DateTimeFormat(LOCALE, { timeStyle: 'short' });
  var fullFmt = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'full', timeStyle: 'long' });
  function timeEl(iso, cls) {
    var t = el('time', cls);
    var d = new Date(iso);
    if (!isNaN(d.getTime())) {
      t.dateTime = d.toISOString();
      t.textContent = timeFmt.format(d);
      t.title = fullFmt.format(d);
    }
    return t;
  }
  function readJSON(storage, key, fallback) {
    try { var v = JSON.parse(storage.getItem(key) || 'null'); return v === null ? fallback : v; } catch (e) { return fallback; }
  }
  function writeJSON(storage, key, v) { try { storage.setItem(key, JSON.stringify(v)); } catch (e) { /* full or disabled */ } }

  // linkParts splits plain text into parts {text} and {link}. widget.js has the
  // same function and the transcript (app/textfmt) the same rule; the cases
  // all three pass are in assets/testdata/links.json. A link starts with http://
  // or https:// that does not follow a letter or digit, and runs up to a
  // space, a control character, < > or "; the sentence punctuation .,;:!?'"
  // at its end is not part of it, nor is a closing ) or ] that no ( or [
  // inside it opens; something must remain after ://.
  var LINK_RE = /https?:\/\/[^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff<>"]*/gi;
  function linkParts(text) {
    var out = [], last = 0, m, u, c;
    function count(ch) { return u.split(ch).length; }
    LINK_RE.lastIndex = 0;
    while ((m = LINK_RE.exec(text))) {
      u = m[0];
      while (u && ('.,;:!?\'"'.indexOf(c = u.slice(-1)) >= 0 ||
        (c === ')' && count(')') > count('(')) || (c === ']' && count(']') > count('[')))) u = u.slice(0, -1);
      if (/[a-z0-9]/i.test(text.charAt(m.index - 1)) || u.indexOf('://') + 3 >= u.length) continue;
      if (m.index > last) out.push({ text: text.slice(last, m.index) });
      out.push({ link: u });
      last = m.index + u.length;
    }
    if (last < text.length) out.push({ text: text.slice(last) });
    return out;
  }

  // linkify appends text to parent, with its links as <a> elements.
  function linkify(parent, text) {
    linkParts(text).forEach(function (p) {
      if (p.link === undefined) { parent.appendChild(document.createTextNode(p.text)); return; }
      var a = el('a', null, p.link);
      a.href = p.link;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
      parent.appendChild(a);
    });
  }

  // ---- Conversation state -----------------------------------------------------
  // One Conv per session: its messages and state, shown by zero or more views
  // (a docked window, the full-size view of the Conversations page).
  var convs = {};
  var known = {};        // sessions this tab already knew of: a `session` frame for another one is a new chat
  function conv(sid) { return convs[sid] || (convs[sid] = new Conv(sid)); }

  // cur is the catch-up cursor: the last id of the messages the server listed
  // or pushed, so that every message up to it is held. The answers to the
  // operator's own posts never move it: a visitor's message sent while the
  // socket was down has a lower id than a reply posted after it. Frames move
  // it only on the socket (live) that this conversation caught up on.
  function Conv(sid) {
    this.sid = sid;
    this.s = null;
    this.msgs = [];
    this.ids = {};
    this.views = [];
    this.unread = 0;
    this.loading = null;
    this.cur = 0;
    this.live = null;
    this.told = false;      // a live message came before this tab knew of the chat
    this.top = 0;           // the last message id this tab knows of, from any source
    this.counted = 0;       // the last message id that unread accounts for
    this.typingName = '';
    this.typingTimer = null;
    this.out = { typing: false, last: 0, idle: null };
  }
  Conv.prototype.lastId = function () { return this.msgs.length ? this.msgs[this.msgs.length - 1].id : 0; };
  Conv.prototype.isOpen = function () { return !this.s || this.s.status === 'open'; };
  Conv.prototype.mine = function () { return !this.s || !this.s.operator || this.s.operator.id === ME; };

  // setSession stores a session view; withUnread is set when it comes from
  // HTTP (socket frames carry no unread count).
  Conv.prototype.setSession = function (s, withUnread) {
    var prev = this.s, lm = s.last_message;
    if (prev && !withUnread) s.unread = prev.unread;
    this.s = s;
    if (withUnread) this.unread = s.unread || 0;
    if (withUnread && lm) this.counted = Math.max(this.counted, lm.id);
    if (lm) this.top = Math.max(this.top, lm.id);
    if (this.msgs.length && s.message_count < this.msgs.length) s.message_count = this.msgs.length;
    if (!this.isOpen()) this.setTyping('', false);
    this.views.forEach(function (v) { v.renderHead(); });
    list.upsert(this);
    info.update(this);
  };

  // add merges messages (from a frame, a fetch or a post answer); it
  // returns those that were new.
  Conv.prototype.add = function (list_) {
    var self = this, added = [];
    list_.forEach(function (m) {
      if (!m || self.ids[m.id]) return;
      self.ids[m.id] = true;
      self.msgs.push(m);
      added.push(m);
    });
    if (!added.length) return added;
    this.msgs.sort(function (a, b) { return a.id - b.id; });
    this.top = Math.max(this.top, this.lastId());
    if (this.s) {
      var last = this.msgs[this.msgs.length - 1];
      this.s.last_message = last;
      this.s.last_message_at = last.created_at;
      this.s.message_count = Math.max(this.s.message_count || 0, this.msgs.length);
    }
    this.views.forEach(function (v) { v.renderMessages(added); });
    list.upsert(this);
    info.update(this);
    return added;
  };

  // load fetches the session (once) and the messages after the cursor: the
  // history, then what is new. Concurrent calls share one request, unless
  // the open socket changed since it started: then a new one follows it.
  Conv.prototype.load = function () {
    var self = this, ws = sock.open();
    if (this.loading && this.loadWs === ws) return this.loading;
    if (this.loading) return this.loading.catch(function () { /* try again */ }).then(function () { return self.load(); });
    this.loadWs = ws;
    var first = this.s ? Promise.resolve(null) : api(sessPath(this.sid));
    this.loading = first.then(function (r) {
      if (r && r.session) {
        // A live message told of a chat this tab did not know, and its
        // session frame has not come yet: a transfer or a chatbot's hand-over
        // sends the notice first. The frame would now find the chat known
        // and open nothing, so this answer is the news.
        var s = r.session, news = self.told && !known[self.sid] && s.status === 'open' && !!s.operator && s.operator.id === ME;
        self.told = false;
        known[self.sid] = true;
        if (news) self.bump = true;
        self.setSession(s, true);
        if (news) {
          if (!page.showing(self.sid)) dock.open(self.sid);
          announce(self, null);
        }
      }
      return self.pull(sock.open());
    }).then(function () {
      self.views.forEach(function (v) { v.loaded(); });
      self.loading = null;
      self.maybeRead();
    }, function (err) {
      self.loading = null;
      if (err.status === 404) {
        self.views.slice().forEach(function (v) { v.gone(); });
      }
      throw err;
    });
    return this.loading;
  };

  // pull fetches the messages after the cursor, again while the pages come
  // back full; ws is the socket open when it started, if any.
  Conv.prototype.pull = function (ws) {
    var self = this;
    return api(sessPath(this.sid) + '/messages?after=' + this.cur).then(function (r) {
      var l = (r && r.messages) || [];
      l.forEach(function (m) { self.cur = Math.max(self.cur, m.id); });
      self.add(l);
      if (l.length >= PAGE) return self.pull(ws);
      if (ws && ws === sock.ws) self.live = ws;
    });
  };

  // shown: some view of this conversation is on screen and the tab is in use.
  Conv.prototype.shown = function () {
    if (document.visibilityState !== 'visible' || !document.hasFocus()) return false;
    return this.views.some(function (v) { return v.onScreen(); });
  };
  Conv.prototype.maybeRead = function () { if (this.unread > 0 && this.shown()) this.markRead(); };
  Conv.prototype.markRead = function () {
    var id = this.lastId();
    this.unread = 0;
    if (this.s) this.s.unread = 0;
    badges.update();
    list.upsert(this);
    this.views.forEach(function (v) { v.renderUnread(); });
    if (!id) return;
    post(sessPath(this.sid) + '/read', { message_id: id }, true).catch(function () { /* next read will catch up */ });
    bus.post({ t: 'read', sid: this.sid });
  };

  Conv.prototype.setTyping = function (name, on) {
    var self = this;
    clearTimeout(this.typingTimer);
    this.typingName = on ? name : '';
    if (on) this.typingTimer = setTimeout(function () { self.setTyping('', false); }, TYPING_SHOW);
    this.views.forEach(function (v) { v.renderTyping(); });
  };

  // typed is called on every edit of a composer: "typing" at most every
  // TYPING_EVERY while typing, "stopped" after TYPING_IDLE of silence.
  Conv.prototype.typed = function (hasText) {
    var o = this.out, self = this;
    clearTimeout(o.idle);
    if (!this.isOpen()) return;
    if (!hasText) { if (o.typing) this.sendTyping(false); return; }
    if (!o.typing || Date.now() - o.last >= TYPING_EVERY) this.sendTyping(true);
    o.idle = setTimeout(function () { self.sendTyping(false); }, TYPING_IDLE);
  };
  Conv.prototype.sendTyping = function (on) {
    var o = this.out;
    clearTimeout(o.idle);
    if (!on && !o.typing) return;
    o.typing = on;
    o.last = Date.now();
    if (!sock.send({ type: 'typing', session_id: this.sid, typing: on })) {
      post(sessPath(this.sid) + '/typing', { typing: on }).catch(function () { /* best effort */ });
    }
  };

  // ---- The conversation view (docked window or full size) -----------------------
  var windowTpl = document.getElementById('chat-window-tpl');

  function ChatView(c, mode, mount) {
    var self = this;
    this.c = c;
    this.mode = mode;
    this.min = false;
    this.rendered = {};
    this.lastRendered = 0;
    this.isLoaded = false;
    this.pendingScroll = null;
    var root = this.root = windowTpl.content.firstElementChild.cloneNode(true);
    root.setAttribute('data-session', c.sid);
    if (mode === 'full') root.classList.add('full');
    this.body = root.querySelector('.chat-body');
    this.form = root.querySelector('.chat-compose');
    this.input = this.form.querySelector('textarea');
    this.sendBtn = this.form.querySelector('.chat-send');
    this.input.maxLength = MAX_LEN;
    var expand = root.querySelector('[data-act="expand"]');
    expand.href = '/admin/conversations?session=' + encodeURIComponent(c.sid);
    if (mode === 'full') {
      expand.remove();
      root.querySelector('[data-act="min"]').remove();
      root.querySelector('[data-act="close"]').remove();
    }
    this.empty = el('p', 'chat-empty', tr('empty'));
    this.body.appendChild(this.empty);

    this.menu = field(root, 'menu');
    this.panel = field(root, 'panel');
    this.menuBtn = root.querySelector('[data-act="menu"]');
    this.menu.addEventListener('click', function (e) {
      var act = e.target.closest('[data-act]');
      if (!act) return;
      self.toggleMenu(false);
      var a = act.getAttribute('data-act');
      if (a === 'end') self.confirmAction(tr('endAsk'), tr('endDo'), '/close');
      else if (a === 'leave') self.confirmAction(tr('leaveAsk'), tr('leaveDo'), '/leave');
      else if (a === 'transfer') self.showTransfer();
    });
    this.menu.addEventListener('keydown', function (e) { self.menuKey(e); });
    // Tabbing out of the menu closes it (a click elsewhere: see openMenu).
    this.menu.addEventListener('focusout', function (e) {
      var to = e.relatedTarget;
      if (to && !self.menu.contains(to) && to !== self.menuBtn) self.toggleMenu(false);
    });
    this.menuBtn.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown' && self.menu.hidden) { e.preventDefault(); self.toggleMenu(true); }
    });
    root.addEventListener('keydown', function (e) {
      if (e.key !== 'Escape') return;
      if (!self.menu.hidden) { self.toggleMenu(false); self.menuBtn.focus(); } else if (!self.panel.hidden) { self.closePanel(); self.focus(); }
    });
    // A window sliding in (or moved by a neighbour) can carry its buttons away
    // from a pointer that stays still between press and release: the click
    // then lands on the header, which would minimise the window. It meant the
    // button it was pressed on.
    var head = root.querySelector('.chat-head'), press = null;
    head.addEventListener('pointerdown', function (e) { press = { act: e.target.closest('[data-act]'), x: e.clientX, y: e.clientY }; });
    head.addEventListener('click', function (e) {
      var act = e.target.closest('[data-act]'), p = press;
      press = null;
      if (!act && p && p.act && Math.abs(e.clientX - p.x) + Math.abs(e.clientY - p.y) < 4) {
        if (p.act.tagName !== 'BUTTON') return; // a link: not followed, and no minimising either
        act = p.act;
      }
      if (act && act.getAttribute('data-act') === 'menu') { e.preventDefault(); self.toggleMenu(self.menu.hidden); return; }
      if (act && act.getAttribute('data-act') === 'close') { e.preventDefault(); dock.close(c.sid); return; }
      if (act && act.getAttribute('data-act') === 'expand') return; // a link
      if (e.target.closest('a')) return;
      if (self.mode === 'dock') self.setMin(!self.min);
    });
    this.form.addEventListener('submit', function (e) { e.preventDefault(); self.send(); });
    // Files: the paperclip, a paste of a picture or file, a drop on the window.
    var fileIn = this.form.querySelector('.chat-file');
    this.form.querySelector('[data-act="attach"]').addEventListener('click', function () { fileIn.click(); });
    fileIn.addEventListener('change', function () {
      if (fileIn.files.length) self.upload(fileIn.files[0]);
      fileIn.value = '';
    });
    this.input.addEventListener('paste', function (e) {
      var files = e.clipboardData && e.clipboardData.files;
      if (files && files.length) { e.preventDefault(); self.upload(files[0]); }
    });
    root.addEventListener('dragover', function (e) {
      if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, 'Files') >= 0) { e.preventDefault(); root.classList.add('dropping'); }
    });
    root.addEventListener('dragleave', function () { root.classList.remove('dropping'); });
    root.addEventListener('drop', function (e) {
      root.classList.remove('dropping');
      if (e.dataTransfer && e.dataTransfer.files.length) { e.preventDefault(); self.upload(e.dataTransfer.files[0]); }
    });
    this.suggest = new Suggest(this);
    this.mentioned = {}; // user id → name, chosen with "@" for the message being written
    this.input.addEventListener('keydown', function (e) {
      if (!e.isComposing && self.suggest.key(e)) { e.preventDefault(); e.stopPropagation(); return; }
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        self.send();
      }
    });
    this.input.addEventListener('input', function () {
      self.suggest.update();
      self.grow();
      c.typed(self.input.value.trim() !== '');
      drafts.set(c.sid, self.input.value);
    });
    this.input.addEventListener('blur', function () { c.sendTyping(false); self.suggest.hide(); });
    this.input.addEventListener('click', function () { self.suggest.update(); });
    var scrollTimer = null;
    this.body.addEventListener('scroll', function () {
      clearTimeout(scrollTimer);
      scrollTimer = setTimeout(function () { if (self.mode === 'dock') dock.save(); }, 200);
    }, { passive: true });
    root.addEventListener('focusin', function () { c.maybeRead(); });
    root.addEventListener('click', function () { c.maybeRead(); });

    var draft = drafts.get(c.sid);
    if (draft) { this.input.value = draft; }
    c.views.push(this);
    mount.appendChild(root);
    this.grow();
    this.renderHead();
    if (c.msgs.length) this.renderMessages(c.msgs);
    this.renderTyping();
  }

  // ---- Composer suggestions ----------------------------------------------------
  // "/" at the start lists the commands; ":" or "::" at the start or after a
  // space, or "!" alone in an empty message, lists the canned responses; "@"
  // lists the users to mention and "#" the channels to link. The
  // list filters as the operator types (ignoring case and accents, prefix
  // matches first); choosing replaces what was typed, still editable.
  var sources = {};
  function source(name, path, key) {
    if (!sources[name]) {
      sources[name] = api(path).then(function (r) { return (r && r[key]) || []; }, function (err) {
        delete sources[name]; // try again next time
        throw err;
      });
    }
    return sources[name];
  }
  function fold(s) { return String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase(); }
  function rank(items, term, keys) {
    var t = fold(term);
    var scored = [];
    items.forEach(function (it) {
      var best = -1;
      keys(it).forEach(function (k) {
        var i = fold(k).indexOf(t);
        if (i === 0) best = 2; else if (i > 0 && best < 1) best = 1;
      });
      if (best > 0) scored.push({ it: it, score: best, key: fold(keys(it)[0]) });
    });
    scored.sort(function (a, b) { return b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0); });
    return scored.slice(0, 12).map(function (x) { return x.it; });
  }
  var kinds = {
    command: {
      load: function () { return source('commands', '/commands', 'commands'); },
      match: function (list, term) {
        return rank(list, term, function (c) { return [c.name].concat(c.aliases || []); }).map(function (c) {
          var names = ['/' + c.name].concat((c.aliases || []).map(function (a) { return '/' + a; })).join(', ');
          return { label: names, detail: c.help, insert: '/' + c.name + ' ' };
        });
      }
    },
    user: {
      // Asked per term: a big team does not fit one list.
      load: function (term) { return api('/mentionable?q=' + encodeURIComponent(term)).then(function (r) { return (r && r.users) || []; }); },
      match: function (list, term) {
        return rank(list, term, function (u) { return [u.name]; }).map(function (u) {
          return { label: '@' + u.name, detail: '', insert: '@' + u.name + ' ', user: u };
        });
      }
    },
    channel: {
      load: function () { return source('channels', '/channel-links', 'channels'); },
      match: function (list, term) {
        return rank(list, term, function (ch) { return [ch.name]; }).map(function (ch) {
          return { label: '#' + ch.name, detail: '', insert: '#' + ch.name + ' ' + ch.url + ' ' };
        });
      }
    },
    canned: {
      load: function () { return source('canned', '/canned-responses', 'canned_responses'); },
      match: function (list, term) {
        return rank(list, term, function (r) { return [r.shortcut]; }).map(function (r) {
          return { label: r.shortcut, detail: r.substitution, insert: r.substitution + ' ' };
        });
      }
    }
  };
  var suggestSeq = 0;
  function Suggest(view) {
    var self = this;
    this.view = view;
    this.box = el('ul', 'chat-suggest');
    this.box.setAttribute('role', 'listbox');
    this.box.id = 'suggest-' + (++suggestSeq);
    this.box.hidden = true;
    this.items = [];
    this.active = 0;
    view.form.insertBefore(this.box, view.form.firstChild);
    view.input.setAttribute('aria-controls', this.box.id);
    this.box.addEventListener('mousedown', function (e) {
      var li = e.target.closest('li[data-i]');
      if (!li) return;
      e.preventDefault(); // keep the focus in the composer
      self.choose(Number(li.getAttribute('data-i')));
    });
  }
  Suggest.prototype.isOpen = function () { return !this.box.hidden && this.items.length > 0; };
  Suggest.prototype.hide = function () {
    this.box.hidden = true;
    this.items = [];
    this.view.input.removeAttribute('aria-activedescendant');
  };
  // trigger finds what the text before the caret asks for.
  Suggest.prototype.trigger = function () {
    var input = this.view.input, v = input.value, pos = input.selectionStart;
    if (pos !== input.selectionEnd) return null;
    var before = v.slice(0, pos), m;
    if ((m = /^\/([^\s\/]*)$/.exec(before))) return { kind: 'command', term: m[1], start: 0, end: pos };
    if (v === '!' && pos === 1) return { kind: 'canned', term: '', start: 0, end: 1 };
    if ((m = /(^|\s)(::?)([^\s:]*)$/.exec(before))) return { kind: 'canned', term: m[3], start: pos - m[2].length - m[3].length, end: pos };
    if ((m = /(^|\s)@([^\s@]*)$/.exec(before))) return { kind: 'user', term: m[2], start: pos - m[2].length - 1, end: pos };
    if ((m = /(^|\s)#([^\s#]*)$/.exec(before))) return { kind: 'channel', term: m[2], start: pos - m[2].length - 1, end: pos };
    return null;
  };
  Suggest.prototype.update = function () {
    var self = this, t = this.trigger();
    if (!t) { this.hide(); return; }
    var seq = this.seq = (this.seq || 0) + 1;
    kinds[t.kind].load(t.term).then(function (list) {
      if (seq !== self.seq) return; // the text changed meanwhile
      self.at = t;
      self.items = kinds[t.kind].match(list, t.term);
      self.active = 0;
      self.render();
    }, function (err) { toast(err.message, true); });
  };
  Suggest.prototype.render = function () {
    var self = this;
    this.box.textContent = '';
    if (!this.items.length) { this.hide(); return; }
    this.items.forEach(function (it, i) {
      var li = el('li', 'chat-suggest-item' + (i === self.active ? ' active' : ''));
      li.id = self.box.id + '-' + i;
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', i === self.active ? 'true' : 'false');
      li.setAttribute('data-i', String(i));
      li.appendChild(el('strong', '', it.label));
      if (it.detail) li.appendChild(el('span', 'chat-suggest-detail', ': ' + it.detail));
      self.box.appendChild(li);
    });
    this.box.hidden = false;
    this.view.input.setAttribute('aria-activedescendant', this.box.id + '-' + this.active);
  };
  Suggest.prototype.move = function (d) {
    this.active = (this.active + d + this.items.length) % this.items.length;
    this.render();
    var a = this.box.querySelector('.active');
    if (a && a.scrollIntoView) a.scrollIntoView({ block: 'nearest' });
  };
  Suggest.prototype.choose = function (i) {
    var it = this.items[i], at = this.at, input = this.view.input;
    if (!it || !at) return;
    var v = input.value;
    input.value = v.slice(0, at.start) + it.insert + v.slice(at.end);
    var caret = at.start + it.insert.length;
    input.setSelectionRange(caret, caret);
    if (it.user) this.view.mentioned[it.user.id] = it.user.name;
    this.hide();
    input.dispatchEvent(new Event('input'));
    input.focus();
  };
  // typedInFull says the text already holds the active suggestion as typed,
  // so choosing it would change nothing: Enter then sends.
  Suggest.prototype.typedInFull = function () {
    var it = this.items[this.active], at = this.at;
    if (!it || !at) return false;
    return this.view.input.value.slice(at.start, at.end).trim() === it.insert.trim();
  };
  // key handles the list's keys; true when it used the key.
  Suggest.prototype.key = function (e) {
    if (!this.isOpen()) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') { this.move(e.key === 'ArrowDown' ? 1 : -1); return true; }
    if (e.key === 'Enter' && !e.shiftKey && this.typedInFull()) { this.hide(); return false; } // "/help⏎" sends
    if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') { this.choose(this.active); return true; }
    if (e.key === 'Escape') { this.hide(); return true; }
    return false;
  };

  // ---- Ending, leaving and handing over -----------------------------------------
  // openMenu is the view whose menu is open: one at a time, closed by a
  // click anywhere else.
  var openMenu = null;
  document.addEventListener('pointerdown', function (e) {
    var v = openMenu;
    if (v && !v.menu.contains(e.target) && !v.menuBtn.contains(e.target)) v.toggleMenu(false);
  }, true);

  ChatView.prototype.toggleMenu = function (open) {
    if (open && (!this.c.isOpen() || this.min)) return;
    if (open && openMenu && openMenu !== this) openMenu.toggleMenu(false);
    this.menu.hidden = !open;
    this.menuBtn.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) {
      openMenu = this;
      this.closePanel();
      var first = this.menu.querySelector('[role="menuitem"]');
      if (first) first.focus();
    } else if (openMenu === this) {
      openMenu = null;
    }
  };

  // menuKey moves the focus between the items as menus do: arrows, Home, End.
  ChatView.prototype.menuKey = function (e) {
    var items = Array.prototype.slice.call(this.menu.querySelectorAll('[role="menuitem"]'));
    var i = items.indexOf(document.activeElement), n = items.length;
    var to = { ArrowDown: (i + 1) % n, ArrowUp: (i - 1 + n) % n, Home: 0, End: n - 1 }[e.key];
    if (to === undefined || !n) return;
    e.preventDefault();
    items[to].focus();
  };

  // rescueFocus gives the focus a place when what held it (the menu, a
  // panel) goes away: the window's close button, or the conversation's entry
  // in the list of the Conversations page.
  ChatView.prototype.rescueFocus = function () {
    var to = this.root.querySelector('[data-act="close"]') || (convRoot && convRoot.querySelector('.conv-item.active .conv-link'));
    if (to && this.root.isConnected) to.focus({ preventScroll: true });
  };

  ChatView.prototype.closePanel = function () {
    this.panel.hidden = true;
    this.panel.textContent = '';
  };

  function button(text, cls) {
    var b = el('button', cls, text);
    b.type = 'button';
    return b;
  }

  // openPanel shows content above the messages with the action buttons;
  // act runs on confirm and returns a promise; the panel closes once it
  // settles, and an error is shown as a toast.
  ChatView.prototype.openPanel = function (content, doText, danger, act) {
    var self = this, p = this.panel;
    p.textContent = '';
    p.appendChild(content);
    var row = el('div', 'chat-panel-actions');
    var cancel = button(tr('cancel'), 'btn btn-small');
    var ok = button(doText, 'btn btn-small ' + (danger ? 'btn-danger' : 'btn-primary'));
    ok.setAttribute('data-act', 'confirm');
    cancel.addEventListener('click', function () { self.closePanel(); self.focus(); });
    ok.addEventListener('click', function () {
      ok.disabled = true; // the browser moves the focus away from it
      act(ok).then(function () {
        self.closePanel();
        var a = document.activeElement;
        if (!a || a === document.body) self.rescueFocus();
      }, function (err) {
        ok.disabled = false;
        ok.focus();
        toast(err.message, true);
      });
    });
    row.appendChild(cancel);
    row.appendChild(ok);
    p.appendChild(row);
    p.hidden = false;
    ok.focus();
    return ok;
  };

  ChatView.prototype.confirmAction = function (question, doText, path) {
    var c = this.c;
    this.openPanel(el('p', '', question), doText, true, function () {
      return post(sessPath(c.sid) + path, {}).then(function (r) { if (r.session) c.setSession(r.session, false); });
    });
  };

  ChatView.prototype.showTransfer = function () {
    var self = this, c = this.c;
    api(sessPath(c.sid) + '/transfer').then(function (r) {
      var box = el('div', '');
      box.appendChild(el('p', '', tr('transferTo')));
      var any = false;
      [['operators', 'operator_id', tr('transferOps')], ['channels', 'channel_id', tr('transferChannels')]].forEach(function (g) {
        var items = r[g[0]] || [];
        if (!items.length) return;
        var fs = el('fieldset', '');
        fs.appendChild(el('legend', '', g[2]));
        items.forEach(function (it) {
          var lab = el('label', '');
          var input = el('input', '');
          input.type = 'radio';
          input.name = 'transfer-' + c.sid;
          input.value = g[1] + ':' + it.id;
          if (!any) input.checked = true;
          any = true;
          lab.appendChild(input);
          lab.appendChild(document.createTextNode(it.name));
          fs.appendChild(lab);
        });
        box.appendChild(fs);
      });
      if (!any) {
        box.appendChild(el('p', 'muted', tr('transferNone')));
        var only = self.openPanel(box, tr('transferDo'), false, function () { return Promise.resolve(); });
        only.disabled = true;
        return;
      }
      self.openPanel(box, tr('transferDo'), false, function () {
        var picked = self.panel.querySelector('input:checked');
        var parts = picked.value.split(':'), body = {};
        body[parts[0]] = Number(parts[1]);
        return post(sessPath(c.sid) + '/transfer', body).then(function (res) { if (res.session) onSession(res.session); });
      });
      self.panel.querySelector('input:checked').focus(); // the arrows choose, Tab reaches Transfer
    }, function (err) { toast(err.message, true); });
  };

  // showAnswer shows a command's answer to this operator alone; it is
  // gone when the window closes, as it was never a message.
  ChatView.prototype.showAnswer = function (a) {
    var e = el('div', 'msg command' + (a.ok ? '' : ' failed'));
    e.appendChild(el('span', 'msg-author', '/' + (a.name || '') + ' · ' + tr('onlyYou')));
    var text = el('span', 'msg-text');
    text.innerHTML = a.html; // escaped by the server, which builds it from plain text
    e.appendChild(text);
    if (P.localiseTimes) P.localiseTimes(text);
    this.body.appendChild(e);
    this.empty.hidden = true;
    this.toBottom();
  };

  ChatView.prototype.onScreen = function () { return this.root.isConnected && !(this.mode === 'dock' && this.min); };
  ChatView.prototype.atBottom = function () { var b = this.body; return b.scrollHeight - b.scrollTop - b.clientHeight < 24; };
  ChatView.prototype.toBottom = function () { this.body.scrollTop = this.body.scrollHeight; };
  ChatView.prototype.grow = function () {
    var i = this.input;
    i.style.height = 'auto';
    i.style.height = Math.min(i.scrollHeight + 2, 140) + 'px';
  };

  ChatView.prototype.renderHead = function () {
    var s = this.c.s, root = this.root;
    if (!s) { setText(root, 'title', '…'); return; }
    setText(root, 'title', visitorTitle(s));
    root.setAttribute('aria-label', visitorTitle(s));
    setAvatar(field(root, 'initials'), s.visitor && s.visitor.id, s.visitor_name);
    var page = field(root, 'page'), v = s.visitor || {};
    var url = safeURL(v.current_url);
    page.textContent = v.current_title || v.current_url || '';
    page.title = v.current_url || '';
    if (url) page.href = url; else page.removeAttribute('href');
    page.hidden = !page.textContent;
    var closed = s.status !== 'open';
    root.classList.toggle('closed', closed);
    field(root, 'ended').hidden = !closed;
    this.input.disabled = closed;
    this.sendBtn.disabled = closed;
    if (closed) {
      var hadFocus = this.menu.contains(document.activeElement) || this.panel.contains(document.activeElement);
      this.input.placeholder = tr('ended');
      this.toggleMenu(false);
      this.closePanel();
      if (hadFocus) this.rescueFocus();
    }
    this.renderUnread();
  };

  ChatView.prototype.renderUnread = function () {
    var u = field(this.root, 'unread'), n = this.c.unread;
    u.textContent = n > 99 ? '99+' : String(n);
    u.hidden = !n;
    this.root.classList.toggle('has-unread', n > 0);
  };

  ChatView.prototype.renderTyping = function () {
    var t = field(this.root, 'typing'), name = this.c.typingName;
    var stick = this.atBottom();
    t.hidden = !name;
    setText(this.root, 'typing-text', name ? tr('typing', name) : '');
    if (stick) this.toBottom();
  };

  ChatView.prototype.msgEl = function (m) {
    var kind = (m.author && m.author.kind) || 'visitor';
    var e;
    if (kind === 'system') {
      e = el('div', 'msg system');
      linkify(e, m.body || '');
      if (m.id) e.setAttribute('data-id', m.id); // a redraw removes and re-adds by it
      return e;
    }
    e = el('div', 'msg ' + (kind === 'operator' ? 'mine' : kind) + (m.internal ? ' note' : ''));
    if (m.internal) e.appendChild(el('span', 'msg-author', (m.author.name ? m.author.name + ' · ' : '') + tr('note')));
    else if (kind === 'bot' || (kind === 'operator' && !this.c.mine())) e.appendChild(el('span', 'msg-author', m.author.name));
    var text = el('span', 'msg-text');
    linkify(text, m.body || '');
    if (m.body) e.appendChild(text);
    (m.attachments || []).forEach(function (a) { e.appendChild(attachmentEl(a)); });
    if (m.created_at) e.appendChild(timeEl(m.created_at, 'meta'));
    if (m.id) e.setAttribute('data-id', m.id);
    return e;
  };

  // renderMessages shows new messages: appended when they come after what
  // is shown (the usual case), the whole list redrawn otherwise.
  ChatView.prototype.renderMessages = function (added) {
    var self = this, stick = this.atBottom() || !this.isLoaded;
    var pending = this.body.querySelector('.msg.pending');
    var inOrder = added.every(function (m) { return m.id > self.lastRendered; });
    if (!inOrder) {
      Array.prototype.slice.call(this.body.querySelectorAll('.msg[data-id]')).forEach(function (e) { e.remove(); });
      this.rendered = {};
      this.lastRendered = 0;
      added = this.c.msgs;
    }
    added.slice().sort(function (a, b) { return a.id - b.id; }).forEach(function (m) {
      if (self.rendered[m.id]) return;
      if (m.client_id) { // our own post, back from the server: it replaces its bubble
        var mine = self.body.querySelector('.msg[data-client-id="' + CSS.escape(m.client_id) + '"]');
        if (mine) { if (mine === pending) pending = mine.nextElementSibling; mine.remove(); }
      }
      var e = self.msgEl(m);
      self.rendered[m.id] = e;
      self.lastRendered = Math.max(self.lastRendered, m.id);
      self.body.insertBefore(e, pending);
    });
    pending = this.body.querySelector('.msg.pending');
    this.empty.hidden = this.c.msgs.length > 0 || !!pending;
    if (stick) this.toBottom();
  };

  ChatView.prototype.loaded = function () {
    this.isLoaded = true;
    if (this.pendingScroll) {
      var st = this.pendingScroll;
      this.pendingScroll = null;
      if (st.bottom) this.toBottom(); else this.body.scrollTop = st.top;
    } else if (!this.scrolledOnce) {
      this.toBottom();
    }
    this.scrolledOnce = true;
  };

  ChatView.prototype.gone = function () {
    if (this.mode === 'dock') dock.close(this.c.sid);
    else this.destroy();
  };

  ChatView.prototype.destroy = function () {
    if (this.root.contains(document.activeElement)) this.c.sendTyping(false); // removal fires no blur
    this.toggleMenu(false);
    var i = this.c.views.indexOf(this);
    if (i >= 0) this.c.views.splice(i, 1);
    this.root.remove();
  };

  ChatView.prototype.setMin = function (min) {
    this.min = min;
    if (min) this.toggleMenu(false);
    this.root.classList.toggle('min', min);
    var b = this.root.querySelector('[data-act="min"]');
    if (b) b.setAttribute('aria-expanded', min ? 'false' : 'true');
    if (!min) { this.toBottom(); this.c.maybeRead(); }
    dock.save();
  };

  ChatView.prototype.focus = function () {
    if (this.min) this.setMin(false);
    if (!this.input.disabled) this.input.focus({ preventScroll: true });
  };

  ChatView.prototype.send = function () {
    var c = this.c;
    var text = this.input.value.replace(/\s+$/, '').replace(/^\s*\n/, '');
    if (!text.trim() || !c.isOpen()) return;
    if (text.length > MAX_LEN) { toast(tr('tooLong', MAX_LEN), true); return; }
    // A message that still names someone chosen with "@" is an internal
    // note for operators, and tells them.
    var mentions = [], chosen = this.mentioned;
    Object.keys(chosen).forEach(function (id) { if (text.indexOf('@' + chosen[id]) >= 0) mentions.push(Number(id)); });
    this.mentioned = {};
    this.input.value = '';
    this.grow();
    drafts.set(c.sid, '');
    c.sendTyping(false);
    this.post(text, null, mentions);
  };

  // post shows the message as pending and posts it; one that fails stays as
  // "not sent" with a Retry button that sends that same text again.
  ChatView.prototype.post = function (text, cid, mentions) {
    var self = this, c = this.c;
    cid = cid || clientId();
    mentions = mentions || [];
    var bubble = this.msgEl({ author: { kind: 'operator', name: '' }, body: text, internal: mentions.length > 0, created_at: new Date().toISOString() });
    bubble.classList.add('pending');
    bubble.setAttribute('data-client-id', cid);
    bubble.title = tr('sending');
    this.body.appendChild(bubble);
    this.empty.hidden = true;
    this.toBottom();
    var req = { body: text, client_id: cid };
    if (mentions.length) req.mentions = mentions;
    post(sessPath(c.sid) + '/messages', req).then(function (r) {
      bubble.remove();
      if (r.command) { self.showAnswer(r.command); return; }
      c.add([r.message]);
      self.toBottom();
      if (c.unread) { c.unread = 0; badges.update(); list.upsert(c); self.renderUnread(); }
    }, function (err) {
      bubble.classList.remove('pending');
      bubble.classList.add('failed');
      bubble.title = '';
      var note = el('span', 'msg-error', tr('notSent', err.message) + ' ');
      var retry = el('button', 'msg-retry', tr('retry'));
      retry.type = 'button';
      retry.addEventListener('click', function () {
        if (!c.isOpen()) return;
        bubble.remove();
        self.post(text, cid, mentions);
      });
      note.appendChild(retry);
      bubble.appendChild(note);
      toast(err.message, true);
    });
  };

  // upload sends a file; the message comes back like a typed one.
  ChatView.prototype.upload = function (file) {
    var self = this, c = this.c;
    if (!c.isOpen()) return;
    var form = new FormData();
    form.append('file', file, file.name || 'file');
    form.append('client_id', clientId());
    var bubble = this.msgEl({ author: { kind: 'operator', name: '' }, body: tr('uploading', file.name || ''), created_at: new Date().toISOString() });
    bubble.classList.add('pending');
    this.body.appendChild(bubble);
    this.empty.hidden = true;
    this.toBottom();
    api(sessPath(c.sid) + '/attachments', { method: 'POST', body: form }).then(function (r) {
      bubble.remove();
      c.add([r.message]);
      self.toBottom();
    }, function (err) {
      bubble.remove();
      toast(err.message, true);
    });
  };

  // attachmentEl shows a file: a picture's thumbnail, else a download link
  // with its name and size.
  function attachmentEl(a) {
    var link = el('a', 'msg-file');
    link.href = a.url;
    link.target = '_blank';
    link.rel = 'noopener';
    if (a.thumbnail_url) {
      var img = el('img', 'msg-thumb');
      img.src = a.thumbnail_url;
      img.alt = a.name;
      img.loading = 'lazy';
      link.appendChild(img);
    } else {
      link.setAttribute('download', a.name);
      link.textContent = a.name + ' (' + fileSize(a.size) + ')';
    }
    return link;
  }
  function fileSize(n) {
    if (n >= 1048576) return (n / 1048576).toFixed(1) + ' MB';
    if (n >= 1024) return Math.round(n / 1024) + ' KB';
    return n + ' B';
  }

  // ---- Drafts (per tab) ---------------------------------------------------------
  var drafts = {
    all: readJSON(sessionStorage, KEY_DRAFTS, {}),
    get: function (sid) { return this.all[sid] || ''; },
    set: function (sid, v) {
      if (v) this.all[sid] = v.slice(0, MAX_LEN); else delete this.all[sid];
      writeJSON(sessionStorage, KEY_DRAFTS, this.all);
    }
  };

  // ---- The dock ------------------------------------------------------------------
  var dock = {
    wins: {},
    order: [],
    enabled: !convRoot,   // the Conversations page shows chats full size instead
    tools: null,

    // open shows the window of a session, creating it if needed.
    open: function (sid, opts) {
      opts = opts || {};
      if (!this.enabled) return null;
      var w = this.wins[sid];
      if (w) {
        if (opts.focus) w.focus();
        return w;
      }
      var c = conv(sid);
      w = new ChatView(c, 'dock', dockEl);
      if (!this.restoring) w.root.classList.add('pop'); // restored windows just stay where they were
      this.wins[sid] = w;
      this.order.push(sid);
      if (opts.min) w.setMin(true);
      if (opts.scroll) w.pendingScroll = opts.scroll;
      this.fit();
      this.refreshTools();
      this.save();
      c.load().catch(function (err) { if (err.status !== 404) toast(err.message, true); });
      if (opts.focus) w.focus();
      return w;
    },

    close: function (sid) {
      var w = this.wins[sid];
      if (!w) return;
      w.destroy();
      delete this.wins[sid];
      this.order = this.order.filter(function (x) { return x !== sid; });
      this.refreshTools();
      this.save();
    },

    // fit closes the oldest windows that do not fit the screen.
    fit: function () {
      var max = Math.max(1, Math.floor((window.innerWidth - 40) / WINDOW_W));
      while (this.order.length > max) this.close(this.order[0]);
    },

    // save writes the windows for the next page of this tab. Not before the
    // saved ones are back: an operator who leaves a page before its list of
    // chats came would otherwise save no windows and lose them all.
    save: function () {
      if (!this.enabled || this.restoring || !this.restored) return;
      var self = this;
      writeJSON(sessionStorage, KEY_WINDOWS, this.order.map(function (sid) {
        var w = self.wins[sid], sc = w.pendingScroll; // a restored window not loaded yet keeps its place
        return { sid: sid, min: w.min, top: sc ? sc.top : w.body.scrollTop, bottom: sc ? sc.bottom : w.atBottom() };
      }));
    },

    restore: function () {
      if (!this.enabled) return;
      var self = this;
      var saved = readJSON(sessionStorage, KEY_WINDOWS, []);
      if (!Array.isArray(saved)) saved = [];
      this.restoring = true;
      saved.forEach(function (st) {
        if (st && typeof st.sid === 'string') self.open(st.sid, { min: !!st.min, scroll: { top: st.top || 0, bottom: st.bottom !== false } });
      });
      this.restoring = false;
      this.restored = true;
      this.save(); // a window opened before the restore is saved with the others
    },

    refreshTools: function () {
      if (!this.enabled) return;
      if (!this.tools) {
        this.tools = tools.create('dock');
        dockEl.appendChild(this.tools);
      }
      this.tools.hidden = this.order.length === 0;
      if (this.tools.parentNode === dockEl) dockEl.appendChild(this.tools); // keep it leftmost
    }
  };
  window.addEventListener('pagehide', function () { dock.save(); });
  // Logging out forgets this tab's windows and drafts: the next user of the tab starts clean.
  document.addEventListener('submit', function (e) {
    if (e.target.matches && e.target.matches('form[action="/logout"]')) {
      dock.enabled = false;
      try { sessionStorage.removeItem(KEY_WINDOWS); sessionStorage.removeItem(KEY_DRAFTS); } catch (err) { /* disabled */ }
    }
  }, true);
  window.addEventListener('resize', function () { dock.fit(); });

  // ---- The Conversations page: the list and the visitor's details ---------------
  var list = {
    root: convRoot,
    item: function (sid) { return this.root && this.root.querySelector('.conv-item[data-session="' + CSS.escape(sid) + '"]'); },

    // upsert creates or refreshes a session's entry; a chat with news moves to the top.
    upsert: function (c) {
      if (!this.root || !c.s) return;
      var s = c.s, li = this.item(c.sid), fresh = false;
      if (!li) {
        var tpl = document.getElementById('conv-item-tpl');
        li = tpl.content.firstElementChild.cloneNode(true);
        li.setAttribute('data-session', c.sid);
        li.querySelector('a').href = '/admin/conversations?session=' + encodeURIComponent(c.sid);
        fresh = true;
      }
      setText(li, 'name', s.visitor_name);
      setText(li, 'country', s.visitor && s.visitor.country_name);
      setAvatar(field(li, 'initials'), s.visitor && s.visitor.id, s.visitor_name);
      var last = s.last_message, t = field(li, 'time');
      var when = s.last_message_at || s.created_at;
      var d = new Date(when);
      if (!isNaN(d.getTime())) { t.dateTime = d.toISOString(); t.textContent = timeFmt.format(d); t.title = fullFmt.format(d); }
      var preview = '';
      var said = last && (last.body || (last.attachments || []).map(function (a) { return a.name; }).join(', '));
      if (last) preview = last.author && last.author.kind === 'operator' ? pageT('you', said) : said;
      setText(li, 'preview', preview);
      var n = c.unread, badge = field(li, 'unread');
      badge.textContent = n > 99 ? '99+' : String(n);
      badge.hidden = !n;
      li.classList.toggle('unread', n > 0);
      li.classList.toggle('closed', s.status !== 'open');
      var target = document.getElementById(s.status === 'open' ? 'conv-open' : 'conv-closed');
      var moved = li.parentNode !== target;
      if (fresh || moved) target.insertBefore(li, target.firstElementChild);
      else if (c.bump && li.previousElementSibling) target.insertBefore(li, target.firstElementChild);
      c.bump = false;
      this.counts();
    },

    remove: function (sid) {
      var li = this.item(sid);
      if (!li) return;
      li.remove();
      this.counts();
    },

    counts: function () {
      var open = document.getElementById('conv-open'), closed = document.getElementById('conv-closed');
      var n = open.children.length;
      var cnt = this.root.querySelector('[data-open-count]');
      if (cnt) cnt.textContent = String(n);
      this.root.querySelector('[data-empty-open]').hidden = n > 0;
      this.root.querySelector('[data-empty-closed]').hidden = closed.children.length > 0;
    },

    markActive: function (sid) {
      if (!this.root) return;
      Array.prototype.forEach.call(this.root.querySelectorAll('.conv-item'), function (li) {
        var on = li.getAttribute('data-session') === sid;
        li.classList.toggle('active', on);
        var a = li.querySelector('a');
        if (on) a.setAttribute('aria-current', 'true'); else a.removeAttribute('aria-current');
      });
    }
  };

  var pageStrings = {};
  if (convRoot) {
    try { pageStrings = JSON.parse(document.getElementById('conv-i18n').textContent); } catch (e) { pageStrings = {}; }
  }
  function pageT(key, arg) {
    var s = pageStrings[key] || key;
    return arg === undefined ? s : s.replace('%s', arg);
  }

  var info = {
    root: document.getElementById('conv-info'),
    sid: '',
    update: function (c) {
      if (!this.root || c.sid !== this.sid || !c.s) return;
      var s = c.s, v = s.visitor || {}, r = this.root;
      if (!r.querySelector('.facts')) {
        r.textContent = '';
        r.appendChild(document.getElementById('conv-info-tpl').content.cloneNode(true));
      }
      setText(r, 'name', s.visitor_name);
      setText(r, 'country', v.country_name);
      setAvatar(field(r, 'initials'), v.id, s.visitor_name);
      var page = field(r, 'page'), url = safeURL(v.current_url);
      page.textContent = v.current_title || v.current_url || tr('noPage');
      if (url) page.href = url; else page.removeAttribute('href');
      setText(r, 'url', v.current_title ? v.current_url : '');
      setText(r, 'channel', s.channel_name);
      setText(r, 'operator', s.operator ? s.operator.name : '—');
      var st = field(r, 'started'), d = new Date(s.created_at);
      if (!isNaN(d.getTime())) { st.dateTime = d.toISOString(); st.textContent = new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeStyle: 'short' }).format(d); st.title = fullFmt.format(d); }
      setText(r, 'count', String(s.message_count || 0));
      var status = field(r, 'status');
      status.textContent = s.status === 'open' ? pageT('open') : pageT('closed');
      status.className = 'badge ' + (s.status === 'open' ? 'badge-ok' : 'badge-muted');
      var email = field(r, 'email');
      email.textContent = v.email || '';
      if (v.email) email.href = 'mailto:' + v.email; else email.removeAttribute('href');
      field(r, 'email-label').hidden = !v.email;
      field(r, 'email-row').hidden = !v.email;
      var phone = field(r, 'phone');
      phone.textContent = v.phone || '';
      if (v.phone) phone.href = 'tel:' + v.phone.replace(/[^+0-9]/g, ''); else phone.removeAttribute('href');
      field(r, 'phone-label').hidden = field(r, 'phone-row').hidden = !v.phone;
      setText(r, 'external-id', v.external_id);
      field(r, 'verified').hidden = field(r, 'external-label').hidden = field(r, 'external-id').hidden = !v.verified;
      field(r, 'transcript').href = '/admin/sessions/' + encodeURIComponent(s.id);
      field(r, 'visitor').href = '/admin/visitors/' + v.id;
      r.hidden = false;
    }
  };

  var page = {
    view: null,
    poll: null,
    mount: convRoot && convRoot.querySelector('.conv-chat'),

    init: function () {
      if (!convRoot) return;
      var self = this;
      convRoot.addEventListener('click', function (e) {
        var a = e.target.closest('.conv-link');
        if (!a || e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        self.select(a.closest('.conv-item').getAttribute('data-session'), true);
      });
      window.addEventListener('popstate', function () {
        self.select(new URLSearchParams(location.search).get('session') || '', false);
      });
      var tl = convRoot.querySelector('[data-chat-tools]');
      if (tl) tl.appendChild(tools.create('page'));
      var sel = convRoot.getAttribute('data-selected');
      if (sel) this.select(sel, false);
    },

    showing: function (sid) { return !!(this.view && this.view.c.sid === sid); },

    select: function (sid, push) {
      if (!convRoot) return;
      if (this.view && this.view.c.sid === sid) { this.view.focus(); return; }
      if (this.view) { this.view.destroy(); this.view = null; }
      clearInterval(this.poll);
      info.sid = sid;
      list.markActive(sid);
      convRoot.querySelector('.conv-placeholder').hidden = !!sid;
      this.mount.setAttribute('data-session', sid);
      if (push) history.pushState({ session: sid }, '', sid ? '/admin/conversations?session=' + encodeURIComponent(sid) : '/admin/conversations');
      if (!sid) { info.root.hidden = true; return; }
      var c = conv(sid);
      this.view = new ChatView(c, 'full', this.mount);
      if (c.s) info.update(c);
      var self = this;
      c.load().then(function () {
        self.view && self.view.focus();
        // Someone else's chat (an admin looking in) gets no frames here: poll it.
        if (!c.mine() && c.isOpen()) {
          self.poll = setInterval(function () {
            if (!self.showing(sid)) return;
            c.s = null;
            c.load().catch(function () { /* keep polling */ });
          }, 5000);
        }
      }, function (err) { toast(err.message, true); });
    }
  };

  // ---- Unread: tab title, menu badge -----------------------------------------------
  var badges = {
    update: function () {
      var total = 0;
      Object.keys(convs).forEach(function (sid) { total += convs[sid].unread || 0; });
      document.title = total ? '(' + total + ') ' + BASE_TITLE : BASE_TITLE;
      Array.prototype.forEach.call(document.querySelectorAll('[data-chat-unread]'), function (b) {
        b.textContent = total > 99 ? '99+' : String(total);
        b.hidden = !total;
      });
    }
  };

  // ---- Sound, notifications and their controls -----------------------------------
  var audio = null;
  function audioContext() {
    var AC = window.AudioContext || window.webkitAudioContext;
    if (!audio && AC) { try { audio = new AC(); } catch (e) { audio = null; } }
    return audio;
  }
  // Browsers start audio only after a user gesture: unlock on the first one.
  function unlockAudio() {
    if (muted()) return;
    var a = audioContext();
    if (a && a.state === 'suspended') a.resume().catch(function () { /* not allowed yet */ });
  }
  document.addEventListener('pointerdown', unlockAudio, true);
  document.addEventListener('keydown', unlockAudio, true);

  function muted() { try { return localStorage.getItem(KEY_MUTED) === '1'; } catch (e) { return false; } }
  function beep() {
    if (muted() || !audio || audio.state !== 'running') return;
    var t0 = audio.currentTime + 0.01;
    [[880, 0], [1318.5, 0.13]].forEach(function (n) {
      var o = audio.createOscillator(), g = audio.createGain(), t = t0 + n[1];
      o.type = 'sine';
      o.frequency.value = n[0];
      g.gain.setValueAtTime(0.0001, t);
      g.gain.exponentialRampToValueAtTime(0.18, t + 0.02);
      g.gain.exponentialRampToValueAtTime(0.0001, t + 0.32);
      o.connect(g);
      g.connect(audio.destination);
      o.start(t);
      o.stop(t + 0.35);
    });
  }

  var canNotify = 'Notification' in window;
  var tools = {
    els: [],
    create: function (where) {
      var node = document.getElementById('chat-tools-tpl').content.firstElementChild.cloneNode(true);
      node.classList.add('chat-tools-' + where);
      node.addEventListener('click', function (e) {
        var b = e.target.closest('[data-act]');
        if (!b) return;
        if (b.getAttribute('data-act') === 'sound') {
          try { localStorage.setItem(KEY_MUTED, muted() ? '0' : '1'); } catch (err) { /* disabled */ }
          if (!muted()) { audioContext(); unlockAudio(); setTimeout(beep, 50); }
          tools.refresh();
        } else if (b.getAttribute('data-act') === 'notify' && canNotify) {
          Promise.resolve(Notification.requestPermission()).then(function (p) {
            if (p === 'granted') toast(tr('notifyOn'));
            else if (p === 'denied') toast(tr('notifyBlocked'), true);
            tools.refresh();
          });
        }
      });
      this.els.push(node);
      this.refresh();
      return node;
    },
    refresh: function () {
      var m = muted();
      this.els.forEach(function (node) {
        var s = node.querySelector('[data-act="sound"]');
        s.setAttribute('aria-pressed', m ? 'false' : 'true');
        s.title = m ? tr('soundOff') : tr('soundOn');
        s.classList.toggle('off', m);
        node.querySelector('[data-act="notify"]').hidden = !canNotify || Notification.permission !== 'default';
      });
    }
  };
  window.addEventListener('storage', function (e) { if (e.key === KEY_MUTED) tools.refresh(); });

  // claim runs fn in exactly one tab for a key. With Web Locks the first tab
  // to ask takes the key's lock and keeps it a while, and a tab that finds it
  // taken stays quiet: a lock is atomic across tabs, but localStorage is not
  // (a write reaches a tab in another process a moment later, so two tabs
  // could both find the key free). The mark in localStorage keeps a later
  // ask (a tab catching up after a reconnect) from telling it again. Without
  // Web Locks, a check-and-set in localStorage is the best there is.
  function claim(key, fn) {
    var k = KEY_CLAIM + key;
    function cas() {
      try {
        if (localStorage.getItem(k)) return false;
        localStorage.setItem(k, TAB_ID + ' ' + Date.now());
        return localStorage.getItem(k).indexOf(TAB_ID) === 0;
      } catch (e) { return true; }
    }
    if (navigator.locks && navigator.locks.request) {
      navigator.locks.request(k, { ifAvailable: true }, function (lock) {
        if (!lock) return null; // another tab has it and tells
        if (cas()) fn();
        return new Promise(function (done) { setTimeout(done, CLAIM_HOLD); });
      }).catch(function () { /* ignore */ });
    } else {
      setTimeout(function () { if (cas()) fn(); }, Math.random() * 80);
    }
  }
  function pruneClaims() {
    try {
      var now = Date.now();
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var k = localStorage.key(i);
        if (k && k.indexOf(KEY_CLAIM) === 0) {
          var at = Number((localStorage.getItem(k) || '').split(' ')[1]);
          if (!at || now - at > 3600000) localStorage.removeItem(k);
        }
      }
    } catch (e) { /* disabled */ }
  }

  // announce tells the operator about a new chat (m null) or a message; the
  // tab they are looking at claims it first.
  function announce(c, m) {
    var key = m ? 'm' + m.id : 's' + c.sid;
    var looking = document.visibilityState === 'visible' && document.hasFocus();
    setTimeout(function () {
      claim(key, function () {
        beep();
        if (looking || !canNotify || Notification.permission !== 'granted') return;
        // A message can come before its conversation's details (a busy
        // server, a new chat): the notification waits for them, not lost.
        (c.s ? Promise.resolve() : c.load()).then(function () {
          if (!c.s) return;
          try {
            var title = m ? tr('newMessage', c.s.visitor_name) : tr('newChat', c.s.visitor_name);
            var n = new Notification(title, {
              body: m ? (m.body || (m.attachments || []).map(function (a) { return a.name; }).join(', ')).slice(0, 200) : (c.s.visitor.current_title || c.s.channel_name || ''),
              tag: 'parley-' + c.sid,
              icon: (document.querySelector('link[rel="icon"]') || {}).href
            });
            n.onclick = function () {
              window.focus();
              reveal(c.sid);
              n.close();
            };
          } catch (e) { /* some browsers only notify from service workers */ }
        }).catch(function () { /* the window shows the error */ });
      });
    }, looking ? 0 : 300);
  }

  // reveal brings a conversation forward: selected on the Conversations page,
  // an opened and focused window elsewhere.
  function reveal(sid) {
    if (convRoot) page.select(sid, true);
    else dock.open(sid, { focus: true });
  }

  // ---- Cross-tab messages ----------------------------------------------------------
  var bus = {
    ch: typeof BroadcastChannel === 'function' ? new BroadcastChannel('parley-chat') : null,
    post: function (msg) { if (this.ch) { try { this.ch.postMessage(msg); } catch (e) { /* closed */ } } }
  };
  if (bus.ch) {
    bus.ch.onmessage = function (e) {
      var d = e.data || {};
      if (d.t === 'read' && convs[d.sid]) {
        var c = convs[d.sid];
        c.unread = 0;
        badges.update();
        list.upsert(c);
        c.views.forEach(function (v) { v.renderUnread(); });
      }
    };
  }

  // ---- Presence ----------------------------------------------------------------------
  var presenceLabels = { online: tr('online'), away: tr('away'), offline: tr('offlineStatus') };
  function setPresence(uid, status) {
    if (!presenceLabels[status]) return;
    Array.prototype.forEach.call(document.querySelectorAll('[data-presence-user="' + Number(uid) + '"]'), function (e) {
      e.classList.remove('online', 'away', 'offline');
      e.classList.add('dot', status);
      e.title = presenceLabels[status];
    });
  }

  var lastActivity = 0;
  function activity(force) {
    if (!force && Date.now() - lastActivity < ACTIVITY_EVERY) return;
    if (sock.send({ type: 'activity' })) lastActivity = Date.now();
  }
  ['keydown', 'click'].forEach(function (ev) { document.addEventListener(ev, function () { activity(false); }, true); });
  window.addEventListener('scroll', function () { activity(false); }, { passive: true, capture: true });
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      activity(false);
      Object.keys(convs).forEach(function (sid) { convs[sid].maybeRead(); });
    }
  });
  window.addEventListener('focus', function () { Object.keys(convs).forEach(function (sid) { convs[sid].maybeRead(); }); });

  // ---- Inbox: mentions of this user, in the header ---------------------------------
  var inbox = {
    root: document.getElementById('inbox'),
    unread: 0,
    init: function () {
      var self = this;
      if (!this.root) return;
      this.list = this.root.querySelector('.inbox-list');
      this.empty = this.root.querySelector('.inbox-empty');
      api('/inbox').then(function (r) {
        self.list.textContent = '';
        (r.notifications || []).slice().reverse().forEach(function (n) { self.item(n); });
        self.setUnread(r.unread || 0);
      }, function () { /* the header stays empty; the next notification fills it */ });
      this.root.addEventListener('toggle', function () {
        if (!self.root.open || !self.unread) return;
        self.setUnread(0);
        post('/inbox/read', {}).catch(function (err) { toast(err.message, true); });
      });
    },
    item: function (n) {
      var li = el('li', 'inbox-item' + (n.read ? '' : ' unread'));
      li.setAttribute('data-notification', n.id);
      var head = n.can_open && n.session_id ? el('a', 'inbox-text', n.text) : el('span', 'inbox-text', n.text);
      if (head.tagName === 'A') head.href = '/admin/conversations?session=' + encodeURIComponent(n.session_id);
      li.appendChild(head);
      var body = el('span', 'inbox-body');
      linkify(body, n.body || '');
      li.appendChild(body);
      if (n.created_at) li.appendChild(timeEl(n.created_at, 'meta'));
      this.list.insertBefore(li, this.list.firstChild);
      this.empty.hidden = true;
    },
    setUnread: function (n) {
      this.unread = n;
      var b = this.root.querySelector('[data-inbox-unread]');
      b.textContent = n > 99 ? '99+' : String(n);
      b.hidden = !n;
    },
    add: function (n) {
      if (!this.root) return;
      this.item(n);
      if (this.root.open) post('/inbox/read', {}).catch(function () { /* marked at the next opening */ });
      else this.setUnread(this.unread + 1);
      toast(n.text + ': ' + n.body);
    }
  };
  inbox.init();

  // ---- Frames ----------------------------------------------------------------------
  var ready = false, queue = [];

  function onFrame(f) {
    if (!f || typeof f.type !== 'string') return;
    if (!ready && f.type !== 'pong') { queue.push(f); return; }
    var d = f.data || {};
    switch (f.type) {
      case 'message': onMessage(d); break;
      case 'typing':
        if (d.author && d.author.kind !== 'operator' && d.session_id) conv(d.session_id).setTyping(d.author.name, !!d.typing);
        break;
      case 'session': onSession(d); live(); break;
      case 'presence': setPresence(d.user_id, d.status); live(); break;
      // Live Chat ▸ Visitors reloads its live list on it, a visitor's page
      // on the frames about that visitor.
      case 'visitor':
        document.body.dispatchEvent(new CustomEvent('parley:visitors', { detail: d }));
        if (d.id) document.body.dispatchEvent(new CustomEvent('parley:visitor-' + d.id, { detail: d }));
        break;
      case 'notification': inbox.add(d); break;
      // A queue of one of our channels changed: the Conversations page's
      // waiting list and the dashboard's figures reload on it.
      case 'waiting': document.body.dispatchEvent(new CustomEvent('parley:waiting', { detail: d })); live(); break;
      case 'pong': sock.lastPong = Date.now(); break;
    }
  }

  // live tells the page that chats or presence changed (the dashboard's
  // figures reload on it).
  function live() { document.body.dispatchEvent(new CustomEvent('parley:live')); }

  function onMessage(m) {
    if (!m.session_id || !m.id) return;
    var c = conv(m.session_id);
    var kind = m.author && m.author.kind;
    if (c.live && c.live === sock.ws) c.cur = Math.max(c.cur, m.id);
    // A fetch may have brought the message before its frame (a chat being
    // loaded as the visitor writes): it is news all the same until unread
    // accounts for it, or it would never be read on the server.
    if (!c.add([m]).length && !(kind === 'visitor' && m.id > c.counted)) return;
    if (!c.s) {
      c.told = !known[c.sid];
      c.load().catch(function () { /* shown when it loads */ });
    }
    if (kind === 'visitor') c.setTyping('', false);
    if (kind !== 'visitor') return;
    c.bump = true;
    if (!page.showing(c.sid)) dock.open(c.sid);
    if (c.shown()) { c.markRead(); return; }
    if (m.id > c.counted) { // else the unread count from the server has it
      c.counted = m.id;
      c.unread += 1;
    }
    if (c.s) c.s.unread = c.unread;
    badges.update();
    list.upsert(c);
    c.views.forEach(function (v) { v.renderUnread(); });
    announce(c, m);
  }

  function onSession(s) {
    if (!s.id) return;
    var c = conv(s.id), isNew = !known[s.id];
    c.told = false; // the frame tells the news itself
    if (s.status === 'open' && s.operator && s.operator.id !== ME) {
      // Our socket carries only our own chats, so this one was handed
      // over: it leaves our windows and list, and if it ever comes back it
      // arrives as a new chat.
      var wasMine = !!(c.s && c.s.operator && c.s.operator.id === ME);
      delete known[s.id];
      c.s = s;
      c.unread = 0; // no longer ours to read
      badges.update();
      dock.close(s.id);
      list.remove(s.id);
      if (page.showing(s.id)) page.select('', true);
      if (wasMine) toast(tr('transferred', s.operator.name));
      return;
    }
    known[s.id] = true;
    c.bump = isNew;
    c.setSession(s, false);
    if (isNew && s.status === 'open') {
      if (!page.showing(s.id)) dock.open(s.id);
      announce(c, null);
    }
  }

  // ---- The socket -----------------------------------------------------------------------
  var sock = {
    ws: null,
    retries: 0,
    everOpen: false,
    lastPong: 0,
    pingTimer: null,
    stopped: false,

    connect: function () {
      var self = this;
      var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + API + '/ws';
      var ws;
      try { ws = new WebSocket(url); } catch (e) { this.retry(); return; }
      this.ws = ws;
      ws.onopen = function () {
        self.retries = 0;
        self.everOpen = true;
        self.lastPong = Date.now();
        dockEl.classList.remove('reconnecting');
        setPresence(ME, 'online');
        activity(true);
        live();
        clearInterval(self.pingTimer);
        self.pingTimer = setInterval(function () { self.ping(); }, PING_EVERY);
        if (ready) resync(); // else start() does, once it knows the open chats
      };
      ws.onmessage = function (e) {
        var f;
        try { f = JSON.parse(e.data); } catch (err) { return; }
        onFrame(f);
      };
      ws.onclose = function () {
        if (self.ws !== ws) return;
        self.ws = null;
        clearInterval(self.pingTimer);
        setPresence(ME, 'offline');
        if (self.everOpen) dockEl.classList.add('reconnecting');
        self.retry();
      };
    },

    // retry reconnects after 1, 2, 4 … 30 s, each with ±50 % jitter so
    // that a restarted server is not hit by every tab at once.
    retry: function () {
      if (this.stopped) return;
      var self = this;
      var base = Math.min(30000, 1000 * Math.pow(2, this.retries));
      this.retries++;
      var delay = base / 2 + Math.random() * base / 2;
      setTimeout(function () {
        // A session that ended cannot reconnect: stop instead of retrying forever.
        if (self.retries > 3) {
          api('/sessions?status=open').then(function () { self.connect(); }, function (err) {
            if (err.status === 401) self.stopped = true; else self.connect();
          });
        } else {
          self.connect();
        }
      }, delay);
    },

    ping: function () {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
      if (Date.now() - this.lastPong > PING_EVERY * 2 + 10000) { this.ws.close(); return; }
      this.send({ type: 'ping' });
    },

    send: function (f) {
      if (!this.open()) return false;
      try { this.ws.send(JSON.stringify(f)); return true; } catch (e) { return false; }
    },

    // open returns the socket when it is open, else null.
    open: function () { return this.ws && this.ws.readyState === WebSocket.OPEN ? this.ws : null; }
  };

  // resync catches up once the socket is connected, and after every
  // reconnect: the messages after the cursor of each conversation on screen,
  // and from the list of open chats, those assigned, closed or written to
  // meanwhile. News is told as a live message is: a window, the unread
  // count, one sound and notification across tabs.
  function resync() {
    var tops = {};
    Object.keys(convs).forEach(function (sid) {
      var c = convs[sid];
      tops[sid] = c.top;
      if (c.views.length) c.load().catch(function () { /* next reconnect */ });
    });
    api('/sessions?status=open').then(function (r) {
      var open = {};
      (r.sessions || []).forEach(function (s) {
        open[s.id] = true;
        var isNew = !known[s.id], lm = s.last_message, c = conv(s.id);
        // A message that arrived live while the list was on its way is not
        // news any more (the operator may even have closed its window).
        var news = !isNew && lm && lm.author && lm.author.kind === 'visitor' && lm.id > Math.max(tops[s.id] || 0, c.top);
        known[s.id] = true;
        c.setSession(s, true);
        if (isNew || news) {
          c.bump = true;
          list.upsert(c);
          if (!page.showing(s.id)) dock.open(s.id);
          if (isNew || !c.shown()) announce(c, news ? lm : null);
        }
      });
      Object.keys(convs).forEach(function (sid) {
        var c = convs[sid];
        if (c.s && c.s.status === 'open' && !open[sid] && c.mine()) {
          api(sessPath(sid)).then(function (x) { c.setSession(x.session, true); }, function () { /* gone */ });
        }
      });
      badges.update();
    }).catch(function () { /* next reconnect */ });
  }

  // ---- Start ------------------------------------------------------------------------------
  function start() {
    sock.connect();
    pruneClaims();
    api('/sessions?status=open').then(function (r) {
      // A chat whose session frame came meanwhile is new to the operator.
      var fresh = {};
      queue.forEach(function (f) { if (f.type === 'session' && f.data) fresh[f.data.id] = true; });
      (r.sessions || []).forEach(function (s) {
        if (!fresh[s.id]) known[s.id] = true;
        conv(s.id).setSession(s, true);
      });
    }).catch(function () { /* the socket still brings news */ }).then(function () {
      if (convRoot) {
        Array.prototype.forEach.call(convRoot.querySelectorAll('.conv-item[data-session]'), function (li) {
          known[li.getAttribute('data-session')] = true;
        });
      }
      dock.restore();
      dock.refreshTools();
      page.init();
      badges.update();
      ready = true;
      var q = queue;
      queue = [];
      q.forEach(onFrame);
      if (sock.open()) resync(); // connected before the list came: catch up on that moment
    });
  }

  window.Parley = Object.assign(window.Parley || {}, {
    chat: {
      open: function (sid) { reveal(sid); },
      connected: function () { return !!sock.open(); },
      // reconnect drops the socket as a network cut would; it comes back and catches up by itself.
      reconnect: function () { if (sock.ws) sock.ws.close(); },
      unread: function () { var n = 0; Object.keys(convs).forEach(function (k) { n += convs[k].unread; }); return n; }
    }
  });

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
