/*! Parley live chat widget. Plain ES2019, no dependencies, no build step.
 *
 * The loader (/im_livechat/loader/<channel>) sets window.ParleyConfig =
 * {server, channelId, bundle, css, lang, strings, autoOpen} and loads this file
 * from its content-hashed URL. The widget mounts in a Shadow DOM on
 * <div id="parley-livechat"> so the host page's CSS and ours never meet, and
 * talks to the visitor API and socket (docs/api.md).
 *
 * State lives in the host page's localStorage under "parley.<server>.<channel>.":
 * token (visitor token), session (open session id), act (when the session was
 * last active: it is forgotten after a day), last (last message id seen),
 * open (window open), popup (last auto-popup), bubble (notification dismissed),
 * sound (off when "0"), visitor (setVisitor's name and email), rang (last
 * message that chimed, so only one tab rings). Other tabs follow through
 * storage events; messages reach every tab through its own socket. A signed
 * identity (setVisitor's id and signature) stays in the page's memory: the
 * host page gives it on every page while its user is signed in.
 *
 * Message bodies are plain text: they are only ever set with textContent, and
 * http(s) URLs become <a> elements built with setAttribute.
 */
(function (W, D) {
  'use strict';
  var cfg = W.ParleyConfig;
  if (!cfg || cfg.mounted || !W.fetch || !D.documentElement.attachShadow) return;
  cfg.mounted = 1;

  var SERVER = String(cfg.server || '').replace(/\/+$/, '');
  var CHAN = +cfg.channelId;
  var STR = cfg.strings || {};
  var PHONE = 600; // px: full-screen window and no auto-popup below this width
  var DAY = 864e5;

  // t translates an English UI text with the loader's dictionary; arg fills %s or %d.
  function t(s, arg) {
    var v = STR[s] || s;
    return arg === undefined ? v : v.replace(/%[sd]/, arg);
  }

  // ---- Storage (localStorage, or memory when it is blocked) ----------------
  var PRE = 'parley.' + SERVER + '.' + CHAN + '.';
  var mem = {};
  function load(k) {
    try { return localStorage.getItem(PRE + k); } catch (e) { return k in mem ? mem[k] : null; }
  }
  function save(k, v) {
    var del = v == null || v === '';
    try {
      if (del) localStorage.removeItem(PRE + k); else localStorage.setItem(PRE + k, String(v));
    } catch (e) {
      if (del) delete mem[k]; else mem[k] = String(v);
    }
  }
  function recent(k) { return Date.now() - (+load(k) || 0) < DAY; }
  function visitor() {
    try { return JSON.parse(load('visitor')) || {}; } catch (e) { return {}; }
  }

  // hex names count random bytes as hex, for the server's ids of a message
  // and of this tab.
  function hex(count) {
    var b = new Uint8Array(count);
    crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }
  // TAB names this page's socket. Posting with it tells the server that
  // this tab has its message from the answer, so the socket does not bring
  // it back; the visitor's other tabs still get it.
  var TAB = hex(8);

  // cur, the catch-up cursor, follows the messages the server listed and the
  // frames of the socket that caught up (live), never the answers to posts:
  // a reply sent while the socket was down is older than the visitor's next.
  var S = {
    token: load('token'), sid: load('session'), session: null, info: null, opts: {},
    msgs: [], byId: {}, pending: [], tmp: 0, seen: +load('last') || 0, unread: 0,
    open: false, ended: false, closing: false, queue: Promise.resolve(),
    tries: 0, syncs: 0, blockedUntil: 0, tSent: 0, cur: 0, live: null,
    hold: {}, holdQ: [], holdT: null
  };
  // A stored conversation idle for a day is forgotten; the visitor token stays.
  if (S.sid && !recent('act')) {
    if (load('act')) setSid(null); else save('act', Date.now());
  }
  var UI = { nodes: {} };
  var handlers = {};

  function emit(ev, data) {
    (handlers[ev] || []).slice().forEach(function (fn) {
      try { fn(data); } catch (e) { setTimeout(function () { throw e; }); }
    });
  }

  // hooks are the widget's extension points. onClosed runs once the visitor
  // closed the conversation and the server confirmed; the rating screen goes here.
  var hooks = {
    onClosed: function () { ended(t('Conversation closed. Thank you!')); }
  };

  // ---- HTTP ---------------------------------------------------------------
  function enc(s) { return encodeURIComponent(s); }

  // api calls the visitor API; it resolves with the JSON answer or rejects with
  // an Error carrying status, code and retry (seconds, from Retry-After).
  function api(method, path, body, anonymous) {
    var hd = {};
    if (body) hd['Content-Type'] = 'application/json';
    if (S.token && !anonymous) hd.Authorization = 'Bearer ' + S.token;
    return fetch(SERVER + '/im_livechat' + path, {
      method: method, headers: hd, body: body ? JSON.stringify(body) : undefined,
      mode: 'cors', credentials: 'omit'
    }).then(function (r) {
      return r.text().then(function (txt) {
        var j = null;
        try { j = txt ? JSON.parse(txt) : {}; } catch (e) { /* not JSON */ }
        if (r.ok) return j || {};
        var err = new Error((j && j.error) || t('Something went wrong. Please try again.'));
        err.status = r.status;
        err.code = j && j.code;
        err.retry = +r.headers.get('Retry-After') || 0;
        throw err;
      });
    }, function () {
      var err = new Error(t('Cannot reach the chat server. Check your connection.'));
      err.status = 0;
      throw err;
    });
  }

  function setToken(v) { S.token = v || null; save('token', S.token); }
  function setSid(v) {
    S.sid = v || null;
    save('session', S.sid);
    if (v) save('act', Date.now());
  }
  function same(a, b) { return a != null && b != null && String(a) === String(b); }
  function chanName() { return (S.info && S.info.channel && S.info.channel.name) || ''; }
  function operator() { return S.session && S.session.operator; }
  function opName() { var o = operator(); return (o && o.name) || chanName(); }
  // chatbot is the session's chatbot while it leads the conversation.
  function chatbot() {
    var b = S.session && S.session.chatbot;
    return b && b.state !== 'forwarded' && !operator() ? b : null;
  }

  // ---- Page views (feed the operator's /history) ---------------------------
  function pageview(retried) {
    var url = location.href;
    if (url === S.pvURL) return S.pv;
    S.pvURL = url;
    var had = S.token;
    S.pv = api('POST', '/pageviews', { channel_id: CHAN, url: url, title: D.title, language: navigator.language || '' }).then(function (r) {
      if (r && r.visitor_token && !S.token) setToken(r.visitor_token);
      connect(); // operators see who is on the site by their socket, and may invite them
    }, function (e) {
      if (e.status === 401 && had && !retried) { // the server forgot this visitor
        setToken(null);
        reset();
        S.pvURL = null;
        return pageview(true);
      }
    });
    return S.pv;
  }
  function spaPageview() { clearTimeout(S.pvT); S.pvT = setTimeout(pageview, 300); }
  var push = history.pushState;
  history.pushState = function () {
    var r = push.apply(this, arguments);
    spaPageview();
    return r;
  };
  W.addEventListener('popstate', spaPageview);

  // ---- DOM helpers ----------------------------------------------------------
  function h(tag, cls, props) {
    var e = D.createElement(tag);
    if (cls) e.className = cls;
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (k === 'text') e.textContent = v;
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v);
      });
    }
    for (var i = 3; i < arguments.length; i++) if (arguments[i]) e.appendChild(arguments[i]);
    return e;
  }
  var NS = 'http://www.w3.org/2000/svg';
  function icon(d, cls) {
    var s = D.createElementNS(NS, 'svg'), p = D.createElementNS(NS, 'path');
    s.setAttribute('viewBox', '0 0 24 24');
    s.setAttribute('aria-hidden', 'true');
    s.setAttribute('focusable', 'false');
    if (cls) s.setAttribute('class', cls);
    p.setAttribute('d', d);
    s.appendChild(p);
    return s;
  }
  var I = {
    chat: 'M12 3C6.5 3 2 6.8 2 11.5c0 2.5 1.3 4.8 3.4 6.3L4.6 21a.6.6 0 00.8.7l4-1.8c.8.2 1.7.3 2.6.3 5.5 0 10-3.8 10-8.6S17.5 3 12 3z',
    down: 'M6 9l6 6 6-6',
    x: 'M6 6l12 12M18 6L6 18',
    clip: 'M20 11.5l-7.8 7.8a5 5 0 01-7.1-7.1l8.5-8.5a3.3 3.3 0 014.7 4.7l-8.5 8.5a1.6 1.6 0 01-2.3-2.3L15.3 7',
    send: 'M3.4 3.3l17.7 8.2a.55.55 0 010 1L3.4 20.7a.5.5 0 01-.7-.6L5 12 2.7 3.9a.5.5 0 01.7-.6zM5 12h7',
    on: 'M11 5L6 9H3v6h3l5 4zM15.5 8.5a5 5 0 010 7M18.5 5.5a9 9 0 010 13',
    off: 'M11 5L6 9H3v6h3l5 4zM16 9.5l5 5M21 9.5l-5 5',
    ok: 'M20 6L9 17l-5-5'
  };
  function initials(name) {
    var out = '';
    String(name || '').split(/\s+/).forEach(function (w) {
      if (w && out.length < 2) out += Array.from(w)[0].toUpperCase();
    });
    return out || '?';
  }
  function safeURL(u) {
    if (!u) return '';
    try {
      var x = new URL(u, SERVER + '/');
      return /^https?:$/.test(x.protocol) ? x.href : '';
    } catch (e) { return ''; }
  }
  // avatar shows the operator's picture, else their initials, else the chat icon.
  function avatar(el, name, url) {
    var key = name + '|' + url;
    if (el._k === key) return;
    el._k = key;
    el.textContent = '';
    var src = safeURL(url);
    if (src) {
      var img = h('img', '', { src: src, alt: '' });
      img.onerror = function () { el.textContent = initials(name); };
      el.appendChild(img);
    } else if (name) {
      el.textContent = initials(name);
    } else {
      el.appendChild(icon(I.chat, 'f'));
    }
  }
  // linkParts splits text into parts {text} and {link} as chat.js and the
  // transcript do (the rule and its cases: assets/testdata/links.json).
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
  // linkify appends text to el as text nodes, with its links as <a> elements.
  function linkify(el, text) {
    linkParts(String(text || '')).forEach(function (p) {
      el.appendChild(p.link === undefined ? D.createTextNode(p.text) :
        h('a', '', { href: p.link, target: '_blank', rel: 'noopener noreferrer nofollow', text: p.link }));
    });
  }
  var timeFmt;
  function clock(at) {
    var d = at ? new Date(at) : new Date();
    if (isNaN(d)) return '';
    try {
      timeFmt = timeFmt || new Intl.DateTimeFormat(cfg.lang || undefined, { hour: 'numeric', minute: '2-digit' });
      return timeFmt.format(d);
    } catch (e) { return ''; }
  }

  // ---- Mounting -------------------------------------------------------------
  function mount(action) {
    var o = S.opts;
    var host = D.getElementById('parley-livechat');
    if (!host) {
      host = h('div', '', { id: 'parley-livechat' });
      D.body.appendChild(host);
    }
    // Inline CSSOM styles beat the host page's rules and pass any CSP.
    host.style.setProperty('all', 'initial', 'important');
    host.style.setProperty('position', 'fixed', 'important');
    host.style.setProperty('z-index', '2147483000', 'important');
    var root = UI.root = host.shadowRoot || host.attachShadow({ mode: 'open' });
    var box = UI.box = h('div', 'pl', { lang: cfg.lang || 'en' });
    box.style.display = 'none'; // until our stylesheet has loaded
    var css = h('link', '', { rel: 'stylesheet', href: SERVER + cfg.css });
    css.onload = function () {
      box.style.display = '';
      UI.styled = true;
      if (S.focusLater && S.open) focusIn();
      scrollEnd();
    };
    [['--btn-bg', o.button_background_color], ['--btn-fg', o.button_text_color],
      ['--head-bg', o.header_background_color], ['--head-fg', o.title_color]].forEach(function (p) {
      if (p[1]) box.style.setProperty(p[0], p[1]);
    });

    UI.badge = h('span', 'badge', { hidden: '', 'aria-hidden': 'true' });
    UI.launcher = h('button', 'launcher', {
      type: 'button', 'aria-expanded': 'false', 'aria-controls': 'pl-win',
      onclick: function () { unlockAudio(); if (S.open) closeWin(true); else openWin(true); }
    }, icon(I.chat, 'i-chat f'), icon(I.down, 'i-down'), UI.badge);

    if (action === 'display_button_and_text' && !recent('bubble') && !S.sid) {
      UI.bubble = h('div', 'bubble', null,
        h('button', 'bubble-text', { type: 'button', text: o.button_text || t('Have a Question? Chat with us.'), onclick: function () { unlockAudio(); openWin(true); } }),
        h('button', 'bubble-x', { type: 'button', 'aria-label': t('Dismiss'), title: t('Dismiss'), onclick: dismissBubble }, icon(I.x)));
    }

    UI.avatar = h('div', 'avatar', { 'aria-hidden': 'true' });
    UI.title = h('div', 'title', { id: 'pl-title' });
    UI.sub = h('div', 'sub');
    UI.sound = h('button', 'hb snd', { type: 'button', 'aria-label': t('Notification sound'), title: t('Notification sound'), onclick: toggleSound }, icon(I.on, 'i-on'), icon(I.off, 'i-off'));
    UI.x = h('button', 'hb', { type: 'button', onclick: askClose }, icon(I.x));
    var head = h('div', 'head', null, UI.avatar, h('div', 'ht', null, UI.title, UI.sub), UI.sound,
      h('button', 'hb', { type: 'button', 'aria-label': t('Minimise'), title: t('Minimise'), onclick: function () { closeWin(true); } }, icon(I.down)),
      UI.x);

    UI.log = h('div', 'log', { role: 'log', 'aria-live': 'polite', 'aria-label': t('Messages'), tabindex: '0' });
    UI.typingText = h('span');
    UI.typing = h('div', 'typing', { hidden: '' }, h('span', 'dots', { 'aria-hidden': 'true' }, h('i'), h('i'), h('i')), UI.typingText);

    function field(name, label, type) {
      var id = 'pl-f-' + name;
      var input = type === 'textarea'
        ? h('textarea', '', { id: id, name: name, rows: '4', maxlength: '4000', required: '' })
        : h('input', '', { id: id, name: name, type: type, autocomplete: name, maxlength: '200' });
      if (type === 'email') input.setAttribute('required', '');
      UI['f_' + name] = input;
      return h('div', 'field', null, h('label', '', { 'for': id, text: label }), input);
    }
    UI.offErr = h('div', 'err', { role: 'alert', hidden: '' });
    UI.offBtn = h('button', 'btn', { type: 'submit', text: t('Send message') });
    UI.offline = h('form', 'offline', { hidden: '', novalidate: '', onsubmit: sendOffline },
      UI.offTitle = h('p', 'lead', { text: t('Nobody is available right now.') }),
      UI.away = h('p', 'away', { hidden: '' }),
      UI.offLead = h('p', 'muted', { text: t('Leave us a message and we will answer by email.') }),
      field('name', t('Your name'), 'text'), field('email', t('Email'), 'email'),
      field('body', t('Message'), 'textarea'), UI.offErr, UI.offBtn);
    UI.pre = buildPrechat();
    UI.thanks = h('div', 'thanks', { hidden: '', role: 'status', tabindex: '-1' },
      h('span', 'ok', null, icon(I.ok)), UI.thanksText = h('p', '', { text: t('Thanks! We will answer by email.') }));

    UI.ta = h('textarea', '', {
      rows: '1', maxlength: '4000', 'aria-label': t('Write a message'),
      placeholder: o.input_placeholder || t('Say something...'), oninput: onInput, onkeydown: onKey, onblur: stopTyping
    });
    UI.send = h('button', 'send', { type: 'submit', 'aria-label': t('Send'), title: t('Send') }, icon(I.send, 'f'));
    UI.file = h('input', '', { type: 'file', hidden: '', onchange: function () {
      if (UI.file.files.length) upload(UI.file.files[0]);
      UI.file.value = '';
    } });
    UI.clip = h('button', 'clip', { type: 'button', 'aria-label': t('Attach a file'), title: t('Attach a file'), onclick: function () { UI.file.click(); } }, icon(I.clip));
    UI.form = h('form', 'composer', { onsubmit: function (e) { e.preventDefault(); submit(); } }, UI.clip, UI.file, UI.ta, UI.send);
    UI.err = h('div', 'err', { role: 'alert', hidden: '' });
    UI.endText = h('p', '', { role: 'status' });
    UI.endBtn = h('button', 'btn', { type: 'button', text: t('New conversation'), onclick: function () { reset(); focusIn(); } });
    UI.end = h('div', 'end', { hidden: '' }, UI.endText, UI.endBtn, buildSurvey());
    UI.answers = h('div', 'answers', { hidden: '', role: 'group' });
    UI.botBtn = h('button', 'btn', { type: 'button', text: t('Restart'), onclick: restartBot });
    UI.botEnd = h('div', 'end', { hidden: '' }, h('p', '', { role: 'status', text: t('Conversation ended...') }), UI.botBtn);
    UI.yes = h('button', 'btn', { type: 'button', text: t('Close conversation'), onclick: doClose });
    UI.confirm = h('div', 'confirm', { hidden: '', role: 'alertdialog', 'aria-labelledby': 'pl-cq' },
      h('p', '', { id: 'pl-cq', text: t('Close this conversation?') }),
      h('div', 'row', null, UI.yes, h('button', 'btn ghost', { type: 'button', text: t('Cancel'), onclick: cancelClose })));

    UI.win = h('div', 'win', { id: 'pl-win', role: 'dialog', 'aria-labelledby': 'pl-title' },
      head, h('div', 'main', null, UI.log, UI.typing, UI.queue = h('p', 'queue', { role: 'status', hidden: '' }), UI.offline, UI.pre, UI.thanks),
      UI.confirm, UI.end, UI.botEnd, UI.form, UI.err, h('div', 'brand', { text: t('Powered by Parley') }));

    box.addEventListener('keydown', function (e) {
      if (!S.open) return;
      if (e.key === 'Tab') return keepFocus(e);
      if (e.key !== 'Escape') return;
      e.stopPropagation();
      if (!UI.confirm.hidden) cancelClose(); else closeWin(true);
    });
    box.appendChild(UI.win);
    if (UI.bubble) box.appendChild(UI.bubble);
    box.appendChild(UI.launcher);
    root.appendChild(css);
    root.appendChild(box);
    soundUI();
    header();
    render();
    badge();
    showPrechat();
  }

  function dismissBubble() {
    if (!UI.bubble) return;
    save('bubble', Date.now());
    UI.bubble.remove();
    UI.bubble = null;
  }

  // ---- Header ---------------------------------------------------------------
  function header() {
    if (!UI.win) return;
    var op = operator(), bot = !op && chatbot();
    UI.title.textContent = op ? op.name : bot ? bot.name : chanName();
    var live = !op && !bot && !S.offline && S.info && S.info.operators_online > 0;
    UI.sub.textContent = op || bot ? chanName() : live ? t('Online') : '';
    UI.sub.classList.toggle('live', !!live);
    // The operator's or chatbot's face; before either, the channel's image.
    var img = S.info && S.info.channel && S.info.channel.image_url;
    avatar(UI.avatar, op ? op.name : bot ? bot.name : '', op ? op.avatar_url : bot ? bot.avatar_url : img);
    var label = S.sid && !S.ended ? t('End conversation') : t('Close');
    UI.x.setAttribute('aria-label', label);
    UI.x.setAttribute('title', label);
  }

  // ---- Sound ----------------------------------------------------------------
  function soundOn() { return load('sound') !== '0'; }
  function soundUI() {
    if (!UI.sound) return;
    UI.sound.setAttribute('aria-pressed', String(soundOn()));
    UI.sound.classList.toggle('muted', !soundOn());
  }
  function toggleSound() {
    save('sound', soundOn() ? '0' : null);
    soundUI();
    unlockAudio();
  }
  // Browsers only allow audio started from a user gesture: create it on clicks.
  function unlockAudio() {
    var C = W.AudioContext || W.webkitAudioContext;
    try {
      if (!S.ac && C && soundOn()) S.ac = new C();
      if (S.ac && S.ac.state === 'suspended') S.ac.resume();
    } catch (e) { /* no audio */ }
  }
  // chime plays two short sine notes; no audio file.
  function chime() {
    var a = S.ac;
    if (!a || !soundOn()) return;
    try {
      var t0 = a.currentTime;
      [784, 1175].forEach(function (f, i) {
        var osc = a.createOscillator(), g = a.createGain(), s = t0 + i * 0.13;
        osc.type = 'sine';
        osc.frequency.value = f;
        g.gain.setValueAtTime(0.0001, s);
        g.gain.exponentialRampToValueAtTime(0.12, s + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, s + 0.3);
        osc.connect(g);
        g.connect(a.destination);
        osc.start(s);
        osc.stop(s + 0.32);
      });
    } catch (e) { /* no audio */ }
  }

  // ---- Messages -------------------------------------------------------------
  function lastId() { return S.msgs.length ? S.msgs[S.msgs.length - 1].id : 0; }
  function items() {
    var list = [];
    var welcome = S.opts.default_message;
    if (welcome && !(S.session && S.session.chatbot)) {
      list.push({ key: 'w', author: { kind: 'operator', name: opName() }, body: welcome, welcome: true });
    }
    S.msgs.forEach(function (m) {
      if (S.hold[m.id]) return;
      list.push({ key: 'm' + m.id, author: m.author || {}, body: m.body, at: m.created_at, files: m.attachments });
    });
    S.pending.forEach(function (p) {
      list.push({ key: 'p' + p.tmp, author: { kind: 'visitor' }, body: p.body, p: p });
    });
    return list;
  }
  function bubbleNode(it) {
    var k = it.author.kind;
    var cls = k === 'visitor' ? 'me' : k === 'system' ? 'sys' : 'op';
    var n = h('div', 'm ' + cls);
    n._av = h('div', 'avatar sm', { 'aria-hidden': 'true' });
    n._who = h('div', 'who');
    var b = h('div', 'b');
    linkify(b, it.body);
    (it.files || []).forEach(function (a) { b.appendChild(fileNode(a)); });
    if (cls === 'op') n.appendChild(n._av);
    n.appendChild(h('div', 'col', null, n._who, b, n._st = h('div', 'st'),
      cls === 'me' && (n._rb = h('button', 'retry', { type: 'button', hidden: '', text: t('Retry'), onclick: function () { resend(n._p); } }))));
    return n;
  }
  function nearBottom() {
    var l = UI.log;
    return !l || l.scrollHeight - l.scrollTop - l.clientHeight < 80;
  }
  function scrollEnd() { if (UI.log) UI.log.scrollTop = UI.log.scrollHeight; }

  // render brings the message list up to date, keeping existing nodes so that
  // screen readers announce only what is new.
  function render(force) {
    if (!UI.log) return;
    var stick = force || nearBottom();
    var keep = {}, prev = null, at = UI.log.firstChild;
    var op = operator();
    items().forEach(function (it) {
      var n = UI.nodes[it.key] || (UI.nodes[it.key] = bubbleNode(it));
      var a = it.author;
      var first = !prev || prev.author.kind !== a.kind || prev.author.name !== a.name;
      keep[it.key] = 1;
      n.classList.toggle('first', first);
      var p = it.p, failed = p && p.failed;
      if (a.kind === 'visitor') {
        n._who.textContent = t('You');
        n._who.className = 'who sr';
        n._st.textContent = failed ? t('Not sent.') : p ? t('Sending…') : '';
        n._p = p;
        n._rb.hidden = !failed || S.ended;
        n._rb.disabled = Date.now() < S.blockedUntil;
        n.classList.toggle('failed', !!failed);
      } else if (a.kind === 'system') {
        n._who.hidden = true;
      } else {
        n._who.textContent = (a.name || '') + (it.at ? ' · ' + clock(it.at) : '');
        var bot = S.session && S.session.chatbot;
        if (a.kind !== 'system') {
          avatar(n._av, it.welcome && !op ? '' : a.name, a.kind === 'bot' ? bot && bot.avatar_url : op && a.name === op.name && op.avatar_url);
        }
      }
      n.classList.toggle('sending', !!p && !failed);
      if (n !== at) UI.log.insertBefore(n, at); else at = at.nextSibling;
      prev = it;
    });
    Object.keys(UI.nodes).forEach(function (k) {
      if (!keep[k]) { UI.nodes[k].remove(); delete UI.nodes[k]; }
    });
    botUI();
    if (stick) scrollEnd();
  }

  // ---- Chatbot ----------------------------------------------------------------
  // asking returns the chatbot's message that waits for the visitor (the
  // last shown message, from the bot, with a step), or null.
  function asking() {
    if (!chatbot() || chatbot().state !== 'running' || S.holdQ.length) return null;
    for (var i = S.msgs.length - 1; i >= 0; i--) {
      var m = S.msgs[i], k = m.author && m.author.kind;
      if (k === 'system') continue;
      return k === 'bot' && m.step ? m : null;
    }
    return null;
  }
  // botUI shows the answers of a pending question (the composer waits),
  // and "Conversation ended... Restart" once the script has no step left.
  function botUI() {
    if (!UI.answers) return;
    var m = asking(), q = m && m.step.type === 'question_selection' ? m : null;
    var key = q ? String(q.id) : '';
    if (UI.answers._key !== key) {
      UI.answers._key = key;
      UI.answers.textContent = '';
      (q ? q.step.answers || [] : []).forEach(function (a) {
        UI.answers.appendChild(h('button', 'ans', { type: 'button', text: a.label, onclick: function () { choose(q, a); } }));
      });
    }
    UI.answers.hidden = !q;
    if (q && UI.log.lastChild !== UI.answers) UI.log.appendChild(UI.answers);
    var over = !!(chatbot() && chatbot().state === 'ended' && !S.ended && !S.holdQ.length);
    UI.botEnd.hidden = !over;
    // The composer is ours while a chatbot leads, and given back once
    // (an operator took over, a new conversation); never while the
    // conversation is over or the offline form shows.
    if (S.ended || S.offline) return;
    var lead = !!chatbot();
    if (!lead && !S.botComposer) return;
    S.botComposer = lead;
    UI.form.hidden = lead && over;
    UI.ta.disabled = lead && (!!q || over);
    // A file answers only free input: while a choice, an email or a phone
    // number is asked the server refuses one, so the paperclip waits too.
    UI.clip.disabled = lead && (over || !!(m && /^question_(selection|email|phone)$/.test(m.step.type)));
    UI.ta.placeholder = lead && q ? t('Select an option above') : lead && m && m.step.type === 'question_email' ? t('Email') :
      (S.opts.input_placeholder || t('Say something...'));
  }
  // choose sends the clicked answer; a redirect link takes the visitor's
  // page there unless it is the page they are on.
  function choose(q, a) {
    Array.prototype.forEach.call(UI.answers.children, function (b) { b.disabled = true; });
    error('');
    api('POST', '/sessions/' + enc(S.sid) + '/messages', { answer_id: a.id, tab: TAB }).then(function (r) {
      merge([r.message], SENT);
      if (!a.redirect_link) return;
      var to = new URL(a.redirect_link, location.href);
      if (to.origin + to.pathname !== location.origin + location.pathname) location.href = to.href;
    }, function (e) {
      UI.answers._key = null;
      error(e.message);
      render();
    });
  }
  function restartBot() {
    UI.botBtn.disabled = true;
    error('');
    api('POST', '/sessions/' + enc(S.sid) + '/chatbot/restart').then(function (r) {
      setSession(r.session);
    }, function (e) { error(e.message); }).then(function () { UI.botBtn.disabled = false; });
  }
  // pace shows the chatbot's new messages one after another, each after a
  // short "typing" pause, as a person would write them.
  var PACE = 800;
  function pace(list) {
    list.forEach(function (m) {
      if (m.author && m.author.kind === 'bot') { S.hold[m.id] = 1; S.holdQ.push(m.id); }
    });
    if (S.holdQ.length && !S.holdT) reveal();
  }
  function reveal() {
    if (!S.holdQ.length) {
      S.holdT = null;
      if (UI.typing) UI.typing.hidden = true;
      render();
      return;
    }
    var b = S.session && S.session.chatbot;
    if (b) showTyping({ typing: true, author: { name: b.name } });
    S.holdT = setTimeout(function () {
      delete S.hold[S.holdQ.shift()];
      render();
      reveal();
    }, PACE);
  }

  // merge adds server messages, de-duplicated by id and kept in id order.
  // how is HISTORY (loaded with the conversation), SENT (the visitor's own)
  // or LIVE (pushed by the socket: may ring); only new ones fire 'message'.
  var HISTORY = 0, SENT = 1, LIVE = 2, GREET = 3;
  function merge(list, how) {
    var added = [];
    (list || []).forEach(function (m) {
      if (!m || m.id == null || S.byId[m.id] || (m.session_id != null && !same(m.session_id, S.sid))) return;
      S.byId[m.id] = m;
      S.msgs.push(m);
      added.push(m);
      if (m.author && m.author.kind === 'visitor') {
        for (var i = 0; i < S.pending.length; i++) {
          if (m.client_id && S.pending[i].cid === m.client_id) { settle(S.pending[i], m); break; }
        }
      }
    });
    if (!added.length) return;
    if (how) save('act', Date.now());
    S.msgs.sort(function (a, b) { return a.id - b.id; });
    if (how === LIVE || how === GREET) pace(added);
    render();
    seen();
    var fromOp = added.some(function (m) { return m.author && m.author.kind !== 'visitor' && m.author.kind !== 'system'; });
    if (how === LIVE && fromOp && (!S.open || D.hidden)) ring(lastId());
    if (how) added.forEach(function (m) { emit('message', m); });
  }
  // settle turns a pending bubble into the server's message, reusing its
  // node; without a message, the next render removes the bubble.
  function settle(p, m) {
    var i = S.pending.indexOf(p), k = 'p' + p.tmp;
    if (i < 0) return;
    S.pending.splice(i, 1);
    if (m && UI.nodes[k] && !UI.nodes['m' + m.id]) {
      UI.nodes['m' + m.id] = UI.nodes[k];
      delete UI.nodes[k];
    }
  }
  // ring plays the chime once across tabs for a given message id.
  function ring(id) {
    if (+load('rang') >= id) return;
    save('rang', id);
    chime();
  }

  // seen marks messages read while the window is open in a visible tab, and
  // updates the launcher's unread badge (the count is shared by all tabs).
  function seen() {
    var max = lastId();
    if (S.open && !D.hidden && max > S.seen) {
      S.seen = max;
      save('last', max);
    }
    badge();
  }
  function badge() {
    if (!UI.badge) return;
    var n = S.msgs.filter(function (m) {
      return m.id > S.seen && m.author && m.author.kind !== 'visitor' && m.author.kind !== 'system';
    }).length;
    UI.badge.textContent = n > 9 ? '9+' : String(n);
    UI.badge.hidden = !n;
    var label = S.open ? t('Minimise chat') : t('Chat with us');
    UI.launcher.setAttribute('aria-label', n && !S.open ? label + ' · ' + t('Unread messages: %d', n) : label);
    if (n !== S.unread) {
      S.unread = n;
      emit('unread', n);
    }
  }
  D.addEventListener('visibilitychange', seen);

  // ---- Session ----------------------------------------------------------------
  function setSession(sess) {
    if (!sess || !same(sess.id, S.sid)) return;
    S.session = sess;
    header();
    render();
    queueUI();
    if (sess.status === 'closed' && !S.ended && !S.closing) ended(t('The conversation has ended.'));
  }

  // queueUI tells a visitor who waits for a free operator their place in
  // the line; it goes once an operator takes the conversation.
  function queueUI() {
    if (!UI.queue) return;
    var n = S.session && S.session.status === 'open' && !operator() ? S.session.queue_position || 0 : 0;
    UI.queue.hidden = !n;
    UI.queue.textContent = n === 1 ? t('All our operators are busy. You are next in line.') :
      n ? t('All our operators are busy. You are number %d in line.', n) : '';
  }

  // catchUp loads the session and the messages after the cursor, at page
  // load and when the socket (ws) connects. A 4xx forgets the session; other
  // failures try again with back-off, and the socket opens anyway.
  function catchUp(ws) {
    var sid = S.sid, first = !S.session;
    clearTimeout(S.syncT);
    if (!sid || S.ended) return;
    api('GET', '/sessions/' + enc(sid)).then(function (r) {
      if (!same(sid, S.sid)) return;
      if (first && r.session.status === 'closed' && !S.open) return reset();
      if (first) { S.session = r.session; header(); queueUI(); }
      return pull(sid, first ? HISTORY : LIVE, ws).then(function () {
        S.syncs = 0;
        setSession(r.session);
        connect();
      });
    }).catch(function (e) {
      if (!same(sid, S.sid) || S.ended) return;
      if (e.status >= 400 && e.status < 500 && e.status !== 429) return reset();
      connect();
      S.syncT = setTimeout(function () { catchUp(S.ws && S.ws.readyState === 1 && S.ws); }, backoff(S.syncs++));
    });
  }
  // pull fetches the messages after the cursor, page by page (1000 at most).
  function pull(sid, how, ws) {
    return api('GET', '/sessions/' + enc(sid) + '/messages?after=' + S.cur).then(function (r) {
      var l = r.messages || [];
      if (!same(sid, S.sid)) return;
      l.forEach(function (m) { S.cur = Math.max(S.cur, m.id); });
      merge(l, how);
      if (l.length >= 1000) return pull(sid, how, ws);
      if (ws && ws === S.ws) S.live = ws;
    });
  }
  // backoff is an exponential delay from 1 s to 30 s, with jitter.
  function backoff(n) {
    var d = Math.min(30000, 1000 * Math.pow(2, n));
    return d / 2 + Math.random() * d / 2;
  }

  // ensureSession starts the session on the visitor's first message, and
  // asks again after two idle hours: the server continues a session only
  // while its operator is there, else it starts another or nobody can take
  // the chat. It resolves false then (the offline form is shown).
  function ensureSession(body) {
    var old = S.sid;
    if (old && Date.now() - (+load('act') || 0) < 72e5) return Promise.resolve(true);
    S.closing = !!old; // the old session closing meanwhile is no end yet
    return Promise.resolve(S.pv).then(function () {
      var v = visitor(), id = S.ident || {}, a = S.preAns || {};
      return api('POST', '/sessions', {
        channel_id: CHAN, url: location.href, title: D.title, visitor_token: S.token || undefined,
        visitor_name: a.name || v.name || undefined, visitor_email: a.email || v.email || undefined,
        visitor_phone: a.phone || undefined, consent: !!a.consent,
        visitor_external_id: id.id, visitor_signature: id.sig
      }, true);
    }).then(function (r) {
      S.closing = false;
      if (r.visitor_token) setToken(r.visitor_token);
      if (old && !same(r.session.id, old)) reset();
      setSid(r.session.id);
      S.session = r.session;
      dismissBubble();
      header();
      queueUI();
      merge(r.messages, old || !body ? GREET : HISTORY);
      connect();
      return true;
    }, function (e) {
      S.closing = false;
      if (PRE_FIELDS[e.code]) { // the server refused an answer: ask again
        S.preAns = null;
        if (body && !UI.ta.value) UI.ta.value = body; // sent once the form is right
        showPrechat(e.message, PRE_FIELDS[e.code]);
        return false;
      }
      if (e.code === 'no_operator_available' || e.status === 409) {
        if (old) reset();
        showOffline(body);
        return false;
      }
      throw e;
    });
  }

  // reset forgets the conversation; the visitor token and the messages not
  // yet sent stay (they go to the next one). A tab that follows another one
  // (follow) leaves the storage alone: that tab just wrote the new session.
  function reset(follow) {
    disconnect();
    clearTimeout(S.syncT);
    if (follow) S.sid = null; else setSid(null);
    S.session = null;
    queueUI();
    S.msgs = [];
    S.byId = {};
    S.cur = 0;
    clearTimeout(S.holdT);
    S.hold = {};
    S.holdQ = [];
    S.holdT = null;
    S.ended = S.closing = S.offline = false;
    connect(); // still on the site, for the operators' live list
    if (!UI.win) return;
    UI.end.hidden = UI.botEnd.hidden = UI.confirm.hidden = UI.typing.hidden = UI.offline.hidden = UI.thanks.hidden = true;
    UI.form.hidden = UI.log.hidden = false;
    UI.ta.disabled = UI.send.disabled = UI.clip.disabled = false;
    if (S.botComposer) UI.ta.placeholder = S.opts.input_placeholder || t('Say something...');
    S.botComposer = false;
    error('');
    header();
    render(true);
    badge();
    showPrechat();
  }

  function ended(text) {
    S.ended = true;
    S.closing = false;
    disconnect();
    clearTimeout(S.syncT);
    if (!UI.win) return;
    stopTyping();
    UI.endText.textContent = text;
    showSurvey();
    UI.end.hidden = false;
    UI.form.hidden = UI.confirm.hidden = UI.typing.hidden = UI.botEnd.hidden = UI.answers.hidden = true;
    UI.ta.disabled = UI.send.disabled = true;
    header();
    scrollEnd();
    if (UI.root.activeElement) (UI.survey.hidden ? UI.endBtn : UI.faces[0]).focus();
  }

  // ---- Closing screen: rating and transcript (§3.2, §3.6) --------------------
  // Faces: 5 satisfied, 3 neutral, 1 dissatisfied. Satisfied is sent at
  // once; neutral and dissatisfied ask for a reason first. Choosing again
  // replaces the rating until the visitor leaves this screen.
  var FACES = [[5, t('Satisfied'), 'M7 14.2c1.2 2.2 3 3.3 5 3.3s3.8-1.1 5-3.3'], [3, t('Neutral'), 'M7.5 15.5h9'], [1, t('Dissatisfied'), 'M7 17.3c1.2-2.2 3-3.3 5-3.3s3.8 1.1 5 3.3']];
  // EMAIL is the address check of Odoo's closing screen.
  var EMAIL = /^(([^<>()[\].,;:\s@"]+(\.[^<>()[\].,;:\s@"]+)*)|(".+"))@(([^<>()[\].,;:\s@"]+\.)+[^<>()[\].,;:\s@"]{2,})$/i;
  function face(v, path) {
    var svg = D.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    [['circle', { cx: 12, cy: 12, r: 11, 'class': 'fc' }], ['circle', { cx: 8.2, cy: 9.5, r: 1.4, fill: '#fff' }], ['circle', { cx: 15.8, cy: 9.5, r: 1.4, fill: '#fff' }],
      ['path', { d: path, stroke: '#fff', 'stroke-width': 1.8, fill: 'none', 'stroke-linecap': 'round' }]].forEach(function (p) {
      var e = D.createElementNS(NS, p[0]);
      Object.keys(p[1]).forEach(function (k) { e.setAttribute(k, p[1][k]); });
      svg.appendChild(e);
    });
    return svg;
  }
  function buildSurvey() {
    UI.faces = FACES.map(function (f) {
      var b = h('button', 'face f' + f[0], { type: 'button', 'aria-pressed': 'false', 'aria-label': f[1], title: f[1], 'data-rating': f[0], onclick: function () { chooseFace(f[0]); } }, face(f[0], f[2]));
      return b;
    });
    UI.reason = h('textarea', '', { id: 'pl-reason', rows: '3', maxlength: '1000', placeholder: t('Explain your note') });
    UI.reasonBtn = h('button', 'btn', { type: 'submit', text: t('Send') });
    UI.reasonForm = h('form', 'reason', { hidden: '', onsubmit: function (e) { e.preventDefault(); sendRating(S.rating, UI.reason.value); } },
      h('label', 'sr', { 'for': 'pl-reason', text: t('Explain your note') }), UI.reason, UI.reasonBtn);
    UI.rateThanks = h('p', 'rthanks', { hidden: '', role: 'status', text: t('Thank you for your feedback') });
    UI.leave = h('button', 'btn ghost', { type: 'button', hidden: '', text: t('Close conversation'), onclick: function () { reset(); closeWin(true); } });
    UI.rateErr = h('p', 'serr', { role: 'alert', hidden: '' });
    UI.mail = h('input', '', { id: 'pl-mail', type: 'email', autocomplete: 'email', placeholder: 'mail@example.com', maxlength: '254' });
    UI.mailBtn = h('button', 'btn', { type: 'submit', text: t('Send a copy') });
    UI.mailMsg = h('p', 'mmsg', { role: 'status', hidden: '' });
    UI.mailForm = h('form', 'copy', { novalidate: '', onsubmit: function (e) { e.preventDefault(); sendTranscript(); } },
      h('label', '', { 'for': 'pl-mail', text: t('Receive a copy of this conversation') }), h('div', 'row', null, UI.mail, UI.mailBtn), UI.mailMsg);
    UI.survey = h('div', 'survey', { hidden: '' },
      h('p', 'q', { id: 'pl-rq', text: t('Did we correctly answer your question?') }),
      h('div', 'faces', { role: 'group', 'aria-labelledby': 'pl-rq' }, UI.faces[0], UI.faces[1], UI.faces[2]),
      UI.reasonForm, UI.rateThanks, UI.rateErr, UI.leave, UI.mailForm);
    return UI.survey;
  }
  // showSurvey opens the closing screen's questions for the ended session.
  function showSurvey() {
    S.rating = 0;
    UI.faces.forEach(function (b) { b.setAttribute('aria-pressed', 'false'); b.disabled = false; });
    UI.reason.value = UI.mail.value = '';
    UI.reasonForm.hidden = UI.rateThanks.hidden = UI.rateErr.hidden = UI.leave.hidden = UI.mailMsg.hidden = true;
    UI.mail.removeAttribute('aria-invalid');
    UI.survey.hidden = !S.sid;
  }
  function chooseFace(v) {
    S.rating = v;
    UI.faces.forEach(function (b) { b.setAttribute('aria-pressed', String(+b.getAttribute('data-rating') === v)); });
    UI.rateThanks.hidden = UI.leave.hidden = UI.rateErr.hidden = true;
    if (v === 5) {
      UI.reasonForm.hidden = true;
      sendRating(5, '');
      return;
    }
    UI.reasonForm.hidden = false;
    UI.reason.focus();
  }
  function sendRating(v, reason) {
    var sid = S.sid;
    if (!sid || !v) return;
    UI.reasonBtn.disabled = true;
    var body = { rating: v };
    if (v !== 5 && reason.trim()) body.reason = reason.trim();
    api('POST', '/sessions/' + enc(sid) + '/feedback', body).then(function () {
      if (!same(sid, S.sid)) return;
      UI.reasonForm.hidden = true;
      UI.rateThanks.hidden = UI.leave.hidden = false;
      UI.leave.focus();
    }, function (e) {
      UI.rateErr.textContent = e.message;
      UI.rateErr.hidden = false;
    }).then(function () { UI.reasonBtn.disabled = false; });
  }
  function sendTranscript() {
    var sid = S.sid, email = UI.mail.value.trim();
    UI.mailMsg.hidden = false;
    UI.mailMsg.className = 'mmsg';
    if (!EMAIL.test(email)) {
      UI.mail.setAttribute('aria-invalid', 'true');
      UI.mailMsg.className = 'mmsg bad';
      UI.mailMsg.textContent = t('Please enter a valid email address.');
      UI.mail.focus();
      return;
    }
    UI.mail.removeAttribute('aria-invalid');
    UI.mailBtn.disabled = true;
    UI.mailMsg.textContent = t('Sending…');
    api('POST', '/sessions/' + enc(sid) + '/transcript', { email: email }).then(function () {
      UI.mailMsg.textContent = t('The conversation was sent.');
    }, function (e) {
      UI.mailMsg.className = 'mmsg bad';
      UI.mailMsg.textContent = e.message;
    }).then(function () { UI.mailBtn.disabled = false; });
  }

  function askClose() {
    if (!S.sid || S.ended) {
      if (S.ended) reset();
      closeWin(true);
      return;
    }
    var stick = nearBottom();
    UI.confirm.hidden = false;
    if (stick) scrollEnd();
    UI.yes.focus();
  }
  function cancelClose() {
    UI.confirm.hidden = true;
    UI.ta.focus();
  }
  function doClose() {
    UI.confirm.hidden = true;
    S.closing = true;
    api('POST', '/sessions/' + enc(S.sid) + '/close').then(function (r) {
      if (r.session) S.session = r.session;
      S.ended = true;
      disconnect();
      hooks.onClosed(S.session);
    }, function (e) {
      S.closing = false;
      error(e.message);
      UI.ta.focus();
    });
  }

  // ---- Sending ------------------------------------------------------------------
  function error(msg) {
    if (!UI.err) return;
    UI.err.textContent = msg || '';
    UI.err.hidden = !msg;
  }
  function grow() {
    var ta = UI.ta;
    ta.style.height = 'auto';
    ta.style.height = Math.min(ta.scrollHeight, 128) + 'px';
  }
  function onKey(e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  }
  function onInput() {
    grow();
    if (!UI.err.hidden && Date.now() > S.blockedUntil) error('');
    if (!UI.ta.value.trim()) return stopTyping();
    var now = Date.now();
    if (now - S.tSent > 2000 && wsSend({ type: 'typing', session_id: S.sid, typing: true })) S.tSent = now;
    clearTimeout(S.tIdle);
    S.tIdle = setTimeout(stopTyping, 3000);
  }
  // stopTyping tells at once (send, blur, idle, blank), over HTTP if need be.
  function stopTyping() {
    clearTimeout(S.tIdle);
    if (!S.tSent) return;
    S.tSent = 0;
    if (!wsSend({ type: 'typing', session_id: S.sid, typing: false }) && S.sid) {
      api('POST', '/sessions/' + enc(S.sid) + '/typing', { typing: false }).catch(function () { /* best effort */ });
    }
  }

  // submit shows the message at once ("sending") and posts it.
  function submit() {
    var body = UI.ta.value.trim();
    if (!body || S.ended || Date.now() < S.blockedUntil) return;
    UI.ta.value = '';
    grow();
    stopTyping();
    error('');
    // cid names the message for the server: a retry sends the same one, so
    // a post whose answer was lost is never stored twice.
    var p = { tmp: ++S.tmp, body: body, cid: hex(12) };
    S.pending.push(p);
    send(p);
  }
  function resend(p) {
    if (!p || S.ended || Date.now() < S.blockedUntil) return;
    error('');
    send(p);
  }
  // fileNode shows a file of the conversation. Files are served only with
  // the visitor's token, which a plain link cannot carry: they are fetched,
  // then shown (a picture's thumbnail) or saved from memory.
  function fileNode(a) {
    var get = function (u) {
      return fetch(SERVER + u, { headers: { Authorization: 'Bearer ' + S.token }, mode: 'cors', credentials: 'omit' })
        .then(function (r) { if (!r.ok) throw new Error(r.statusText); return r.blob(); });
    };
    var open = function (e) {
      e.preventDefault();
      get(a.url).then(function (blob) {
        var l = h('a', '', { href: URL.createObjectURL(blob), download: a.name });
        l.click();
        setTimeout(function () { URL.revokeObjectURL(l.href); }, 6e4);
      }, function () { error(t('Something went wrong. Please try again.')); });
    };
    var link = h('a', 'file', { href: '#', onclick: open });
    if (a.thumbnail_url) {
      var img = h('img', 'thumb', { alt: a.name });
      get(a.thumbnail_url).then(function (blob) { img.src = URL.createObjectURL(blob); }, function () { img.alt = a.name; });
      link.appendChild(img);
    } else {
      link.textContent = a.name;
    }
    return link;
  }
  // upload sends a file, starting the conversation if needed.
  function upload(file) {
    error('');
    S.queue = S.queue.then(function () {
      return ensureSession('').then(function (ok) {
        if (!ok) return;
        var form = new FormData();
        form.append('file', file, file.name || 'file');
        return fetch(SERVER + '/im_livechat/sessions/' + enc(S.sid) + '/attachments', {
          method: 'POST', headers: { Authorization: 'Bearer ' + S.token }, body: form, mode: 'cors', credentials: 'omit'
        }).then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (j) {
            if (!r.ok) throw new Error((j && j.error) || t('Something went wrong. Please try again.'));
            error('');
            merge([j.message], SENT);
            render(true);
          });
        });
      });
    }).catch(function (e) { error(e.message); });
  }
  // send posts a pending message, queued to keep the order; one that fails
  // stays on the page, "not sent", with a Retry button.
  function send(p) {
    p.failed = false;
    render(true);
    S.queue = S.queue.then(function () {
      return ensureSession(p.body).then(function (ok) {
        if (!ok) { settle(p); render(); return; }
        return api('POST', '/sessions/' + enc(S.sid) + '/messages', { body: p.body, client_id: p.cid, tab: TAB }).then(function (r) {
          settle(p, r.message);
          merge([r.message], SENT);
          render();
        });
      });
    }).catch(function (e) {
      if (S.pending.indexOf(p) < 0) return; // the socket brought it: it was sent
      if (e.code === 'no_operator_available') {
        settle(p);
        render();
        return showOffline(p.body);
      }
      p.failed = true;
      render();
      if (e.code === 'session_closed') return ended(t('The conversation has ended.'));
      error(e.message);
      if (e.status === 0 && S.sid) {
        // The answer may be what was lost, not the message, and this tab's
        // socket does not bring its own posts back: ask the server what it
        // holds. A message it stored is settled by its client id.
        pull(S.sid, SENT).then(function () {
          if (S.pending.indexOf(p) < 0) { error(''); render(); }
        }, function () { /* still unreachable: Retry stays */ });
      }
      if (e.status === 429 || e.status === 503 || e.retry) { // rate limited or busy: wait as told
        var wait = (e.retry || 5) * 1000;
        S.blockedUntil = Date.now() + wait;
        UI.send.disabled = true;
        render();
        setTimeout(function () {
          UI.send.disabled = S.ended;
          error('');
          render();
        }, wait);
      }
    });
  }

  // ---- Pre-chat form (the channel asks who the visitor is first) ----------------
  // The server's refusal codes, by the form field they name.
  var PRE_FIELDS = { invalid_visitor_name: 'name', invalid_visitor_email: 'email', invalid_visitor_phone: 'phone', invalid_consent: 'consent' };
  function buildPrechat() {
    UI.preErr = h('div', 'err', { role: 'alert', hidden: '' });
    UI.preFields = {};
    function row(name, label, type, auto) {
      var id = 'pl-p-' + name, input = h('input', '', { id: id, name: name, type: type, autocomplete: auto, maxlength: name === 'phone' ? '30' : '200' });
      UI.preFields[name] = input;
      UI['pr_' + name] = h('div', 'field', { hidden: '' }, h('label', '', { 'for': id, text: label }), input);
      return UI['pr_' + name];
    }
    UI.preConsent = h('input', '', { id: 'pl-p-consent', name: 'consent', type: 'checkbox' });
    UI.preFields.consent = UI.preConsent;
    UI.prePrivacy = h('a', '', { target: '_blank', rel: 'noopener', text: t('privacy policy') });
    UI.pr_consent = h('div', 'field check', { hidden: '' }, UI.preConsent,
      h('label', '', { 'for': 'pl-p-consent', text: t('I accept the') + ' ' }), UI.prePrivacy);
    return h('form', 'offline prechat', { hidden: '', novalidate: '', onsubmit: sendPrechat },
      h('p', 'lead', { text: t('Before we start, please tell us who you are.') }),
      row('name', t('Your name'), 'text', 'name'), row('email', t('Email'), 'email', 'email'),
      row('phone', t('Phone'), 'tel', 'tel'), UI.pr_consent, UI.preErr,
      h('button', 'btn', { type: 'submit', text: t('Start the chat') }));
  }
  function needPrechat() {
    var p = S.info && S.info.prechat;
    return !!(p && !S.sid && !S.offline && !S.preAns);
  }
  // showPrechat puts the form in place of the chat while it is needed,
  // with the message of a refused field (name) when there is one.
  function showPrechat(msg, name) {
    if (!UI.win || !UI.pre) return;
    var p = S.info && S.info.prechat, on = needPrechat();
    UI.pre.hidden = !on;
    if (!on) return;
    var v = visitor();
    UI.log.hidden = UI.form.hidden = UI.typing.hidden = true;
    ['name', 'email', 'phone'].forEach(function (f) {
      var mode = p[f] || '', input = UI.preFields[f];
      UI['pr_' + f].hidden = !mode;
      if (mode === 'required') input.setAttribute('required', ''); else input.removeAttribute('required');
      if (!input.value && v[f]) input.value = v[f];
    });
    UI.pr_consent.hidden = !p.consent;
    if (p.privacy_url) UI.prePrivacy.setAttribute('href', p.privacy_url);
    preErr(msg || '', name && UI.preFields[name]);
  }
  function preErr(msg, field) {
    UI.preErr.textContent = msg;
    UI.preErr.hidden = !msg;
    Object.keys(UI.preFields).forEach(function (k) { UI.preFields[k].removeAttribute('aria-invalid'); });
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }
  function sendPrechat(e) {
    e.preventDefault();
    var p = S.info.prechat, f = UI.preFields;
    var a = { name: f.name.value.trim(), email: f.email.value.trim(), phone: f.phone.value.trim(), consent: f.consent.checked };
    if (p.name === 'required' && !a.name) return preErr(t('Please enter your name.'), f.name);
    if (p.email && a.email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(a.email)) return preErr(t('This is not a valid email address.'), f.email);
    if (p.email === 'required' && !a.email) return preErr(t('Please enter your email address.'), f.email);
    if (p.phone === 'required' && !a.phone) return preErr(t('Please enter your phone number.'), f.phone);
    if (p.consent && !a.consent) return preErr(t('Please accept the privacy policy to start the chat.'), f.consent);
    preErr('');
    S.preAns = a;
    UI.pre.hidden = true;
    UI.log.hidden = UI.form.hidden = false;
    render(true);
    focusIn();
    greet();
  }

  // ---- Offline message (nobody available) --------------------------------------
  // showOffline replaces the chat with the form to leave a message, adding
  // body, what the visitor wrote in the chat.
  function showOffline(body, quiet) {
    if (!UI.win) return;
    var v = visitor(), f = UI.f_body;
    S.offline = true;
    // Promise an answer by mail only when the server can send mail (init
    // says so); operators still read the message in Parley either way.
    var mail = !S.info || S.info.mail !== false;
    UI.offLead.textContent = mail ? t('Leave us a message and we will answer by email.') : t('Leave us a message and we will get back to you.');
    UI.thanksText.textContent = mail ? t('Thanks! We will answer by email.') : t('Thanks! Your message was received.');
    awayText();
    header();
    error('');
    UI.log.hidden = UI.typing.hidden = UI.form.hidden = UI.pre.hidden = true;
    UI.offline.hidden = false;
    UI.f_name.value = UI.f_name.value || v.name || '';
    UI.f_email.value = UI.f_email.value || v.email || '';
    if (body && f.value.indexOf(body) < 0) f.value = f.value ? f.value + '\n' + body : body;
    if (!quiet) (UI.f_email.value ? f : UI.f_name).focus();
  }
  // awayText says, outside the channel's office hours, that it is closed,
  // with its away message and when it opens (in the visitor's time).
  function awayText() {
    var h = S.info && S.info.office_hours, closed = !!(h && h.closed);
    UI.offTitle.textContent = closed ? t('We are closed right now.') : t('Nobody is available right now.');
    UI.away.hidden = !closed;
    if (!closed) return;
    var text = h.away_message || '';
    if (h.next_opening) {
      var when = new Date(h.next_opening), s;
      try {
        s = when.toLocaleString(cfg.lang || undefined, { weekday: 'long', hour: '2-digit', minute: '2-digit' });
      } catch (e) { s = when.toLocaleString(); }
      text = (text ? text + ' ' : '') + t('We open again on %s.', s);
    }
    UI.away.textContent = text;
    UI.away.hidden = !text;
  }
  // recheck asks, as the window opens on the offline form, if someone can
  // chat now: then the chat comes back, with the form's text in the composer.
  function recheck() {
    if (!S.offline || S.sid) return;
    api('GET', initPath(), null, true).then(function (r) {
      if (!r.available || !S.offline || S.sid) return;
      var el = UI.root.activeElement, text = UI.f_body.value.trim();
      S.info = r;
      reset();
      UI.f_body.value = '';
      if (!UI.ta.value) UI.ta.value = text;
      grow();
      if (el && el.closest('.offline,.thanks')) focusIn();
    }, function () { /* still nobody, as far as we know */ });
  }
  function offErr(msg, field) {
    UI.offErr.textContent = msg;
    UI.offErr.hidden = !msg;
    [UI.f_email, UI.f_body].forEach(function (f) { f.removeAttribute('aria-invalid'); });
    if (field) {
      field.setAttribute('aria-invalid', 'true');
      field.focus();
    }
  }
  function sendOffline(e) {
    e.preventDefault();
    var name = UI.f_name.value.trim(), email = UI.f_email.value.trim(), body = UI.f_body.value.trim();
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return offErr(t('Please enter a valid email address.'), UI.f_email);
    if (!body) return offErr(t('Please write a message.'), UI.f_body);
    offErr('');
    UI.offBtn.disabled = true;
    api('POST', '/offline_messages', { channel_id: CHAN, name: name, email: email, body: body, url: location.href }).then(function () {
      UI.f_body.value = '';
      UI.offline.hidden = true;
      UI.thanks.hidden = false;
      UI.thanks.focus();
    }, function (err) {
      offErr(err.message);
    }).then(function () { UI.offBtn.disabled = false; });
  }

  // ---- Socket -----------------------------------------------------------------------
  // The socket pushes message, typing and session frames for the visitor's
  // sessions, and chat_request when an operator invites them; we send only
  // typing and ping. It is open while the visitor is on the page, chat or
  // not: that is how operators see who is on the site. After every
  // (re)connect we fetch messages after the last id we hold, so nothing is
  // lost or duplicated.
  function connect() {
    if (S.ws || !S.token || S.ended) return;
    var ws;
    try {
      ws = new WebSocket(SERVER.replace(/^http/, 'ws') + '/im_livechat/ws?token=' + enc(S.token) + '&channel_id=' + CHAN + '&tab=' + TAB);
    } catch (e) { return retry(); }
    S.ws = ws;
    ws.onopen = function () {
      S.tries = 0;
      clearInterval(S.ping);
      S.ping = setInterval(function () { wsSend({ type: 'ping' }); }, 25000);
      catchUp(ws);
    };
    ws.onmessage = function (ev) {
      var f;
      try { f = JSON.parse(ev.data); } catch (e) { return; }
      onFrame(f);
    };
    ws.onclose = function () {
      if (S.ws !== ws) return; // an old socket: disconnect() stopped its ping
      clearInterval(S.ping);
      S.ws = null;
      retry();
    };
  }
  // retry reconnects with back-off.
  function retry() {
    clearTimeout(S.rt);
    if (!S.token || S.ended) return;
    S.rt = setTimeout(connect, backoff(S.tries++));
  }
  function disconnect() {
    clearTimeout(S.rt);
    clearInterval(S.ping);
    var ws = S.ws;
    S.ws = null;
    if (ws) try { ws.close(); } catch (e) { /* closed */ }
  }
  // wsSend sends a frame if the socket is open; it reports whether it did.
  function wsSend(f) {
    if (!S.ws || S.ws.readyState !== 1 || !(f.type === 'ping' || S.sid)) return false;
    S.ws.send(JSON.stringify(f));
    return true;
  }
  function onFrame(f) {
    var d = f && f.data;
    if (!d) return;
    if (f.type === 'message' && same(d.session_id, S.sid)) {
      if (d.author && d.author.kind !== 'visitor') UI.typing.hidden = true;
      if (S.ws && S.live === S.ws) S.cur = Math.max(S.cur, d.id);
      merge([d], LIVE);
    } else if (f.type === 'typing' && same(d.session_id, S.sid) && d.author && d.author.kind !== 'visitor') {
      showTyping(d);
    } else if (f.type === 'session') {
      setSession(d);
    } else if (f.type === 'queue' && same(d.session_id, S.sid) && S.session) {
      S.session.queue_position = d.position;
      queueUI();
    } else if (f.type === 'chat_request') {
      chatRequest(d);
    }
  }
  // chatRequest opens the window on the conversation an operator started
  // with the visitor, showing their first message; a visitor already in a
  // conversation keeps it.
  function chatRequest(d) {
    var sess = d.session;
    if (!sess || !sess.id || S.sid || S.ended || !S.info) return;
    if (!UI.win) mount('display_button');
    if (S.offline) {
      S.offline = false;
      UI.offline.hidden = UI.thanks.hidden = true;
      UI.form.hidden = UI.log.hidden = false;
    }
    setSid(sess.id);
    if (!UI.pre.hidden) { // the operator starts the chat: no form first
      UI.pre.hidden = true;
      UI.form.hidden = UI.log.hidden = false;
    }
    S.session = sess;
    header();
    merge(d.messages || [], LIVE);
    openWin(false);
    catchUp(S.ws && S.ws.readyState === 1 && S.ws);
  }
  function showTyping(d) {
    if (!UI.typing) return;
    clearTimeout(S.typT);
    if (!d.typing) { UI.typing.hidden = true; return; }
    var stick = nearBottom();
    UI.typingText.textContent = t('%s is typing…', d.author.name || opName());
    UI.typing.hidden = false;
    if (stick) scrollEnd();
    S.typT = setTimeout(function () { UI.typing.hidden = true; }, 6000);
  }

  // ---- Window ----------------------------------------------------------------------
  function focusIn() {
    if (!UI.win) return;
    S.focusLater = !UI.styled; // nothing is focusable before our stylesheet shows the widget
    if (S.focusLater) return;
    var el = !UI.thanks.hidden ? UI.thanks : !UI.offline.hidden ? UI.f_name :
      !UI.pre.hidden ? UI.pre.querySelector('.field:not([hidden]) input') || UI.pre.querySelector('.btn') : !UI.end.hidden ? UI.endBtn :
      !UI.botEnd.hidden ? UI.botBtn : !UI.answers.hidden && UI.answers.firstChild ? UI.answers.firstChild : UI.ta;
    el.focus();
  }
  // keepFocus makes Tab cycle through the open window and its launcher, so
  // a keyboard user does not fall into the page behind the chat.
  function keepFocus(e) {
    var all = [].slice.call(UI.win.querySelectorAll('a[href],button,textarea,input,select,[tabindex]:not([tabindex="-1"])'))
      .filter(function (el) { return !el.disabled && el.getClientRects().length > 0; });
    all.push(UI.launcher);
    var at = all.indexOf(UI.root.activeElement);
    if (at < 0) return;
    var next = e.shiftKey ? (at === 0 ? all.length - 1 : -1) : (at === all.length - 1 ? 0 : -1);
    if (next < 0) return;
    e.preventDefault();
    all[next].focus();
  }
  // openWin shows the window; focus moves into it only on the visitor's own action.
  function openWin(focus, sync) {
    if (!UI.win) { S.wantOpen = true; return; }
    if (!S.open) {
      S.open = true;
      if (!sync) save('open', '1');
      UI.box.classList.add('open');
      UI.launcher.setAttribute('aria-expanded', 'true');
      if (!sync) dismissBubble();
      render(true);
      seen();
      recheck();
      greet();
      emit('open');
    }
    if (focus) focusIn();
  }
  // greet starts the conversation as the window opens when the page's rule
  // brings a chatbot: it speaks first.
  function greet() {
    var r = S.info && S.info.rule;
    if (S.sid || S.offline || S.ended || !r || !r.chatbot || needPrechat()) return;
    S.queue = S.queue.then(function () { return S.sid ? true : ensureSession(''); }).catch(function (e) { error(e.message); });
  }
  function closeWin(focus, sync) {
    if (!UI.win) { S.wantOpen = false; return; }
    if (!S.open) return;
    var inside = UI.root.activeElement;
    S.open = false;
    if (!sync) save('open', null);
    UI.box.classList.remove('open');
    UI.launcher.setAttribute('aria-expanded', 'false');
    UI.confirm.hidden = true;
    stopTyping();
    badge();
    if (focus || inside) UI.launcher.focus();
    emit('close');
  }

  function autoPopup(secs) {
    if (recent('popup') || S.sid) return;
    setTimeout(function () {
      if (S.open || S.sid || W.innerWidth < PHONE || recent('popup')) return;
      save('popup', Date.now());
      openWin(false);
    }, Math.max(0, +secs || 0) * 1000);
  }

  // Other tabs: follow the window state, the conversation and the read marker.
  W.addEventListener('storage', function (e) {
    if (!e.key || e.key.indexOf(PRE) !== 0 || !UI.win) return;
    var k = e.key.slice(PRE.length), v = e.newValue;
    if (k === 'open') {
      if (v) openWin(false, true); else closeWin(false, true);
    } else if (k === 'token') {
      S.token = v;
    } else if (k === 'session' && !same(v, S.sid)) {
      reset(true);
      if (v) { S.sid = v; catchUp(); }
    } else if (k === 'last') {
      S.seen = Math.max(S.seen, +v || 0);
      badge();
    } else if (k === 'sound') {
      soundUI();
    }
  });

  // ---- Boot ----------------------------------------------------------------------------
  var readyData = null;
  function ready(available) {
    readyData = { available: available };
    emit('ready', readyData);
  }
  function onDOM(fn) {
    if (D.body) fn(); else D.addEventListener('DOMContentLoaded', fn);
  }

  function initPath() { return '/init?channel_id=' + CHAN + '&url=' + enc(location.href); }
  function boot() {
    pageview();
    api('GET', initPath(), null, true).then(function (r) {
      S.info = r;
      S.opts = r.options || {};
      // A channel with its own language sends its UI texts in it, for a
      // loader that did not know the channel (external_lib.js).
      if (r.strings && r.language && r.language !== cfg.lang) { STR = r.strings; cfg.lang = r.language; }
      var rule = r.rule || {}, action = rule.action || 'display_button';
      var ongoing = !!(S.sid && S.token), away = !ongoing && !r.available;
      // A conversation in progress always shows; a hide rule hides the rest;
      // with nobody available, a plain button leads to the offline form.
      if (!ongoing && action === 'hide_button' && !rule.chatbot) return ready(false);
      onDOM(function () {
        mount(away ? '' : action);
        if (ongoing) catchUp();
        if (away) showOffline('', true);
        if (cfg.autoOpen || S.wantOpen) openWin(true);
        else if (load('open')) openWin(false);
        else if (action === 'auto_popup' && !away) autoPopup(rule.auto_popup_timer);
        ready(!away);
      });
    }, function () { ready(false); });
  }

  // ---- Host page API ------------------------------------------------------------------
  var P = W.Parley = W.Parley || {};
  var queued = P.q || [];
  delete P.q;
  P.open = function () { openWin(true); };
  P.close = function () { closeWin(false); };
  P.on = function (ev, fn) {
    if (typeof fn !== 'function') return function () {};
    (handlers[ev] = handlers[ev] || []).push(fn);
    if (ev === 'ready' && readyData) setTimeout(function () { fn(readyData); });
    return function () {
      var l = handlers[ev] || [], i = l.indexOf(fn);
      if (i >= 0) l.splice(i, 1);
    };
  };
  P.setVisitor = function (v) {
    v = v || {};
    var cur = visitor();
    if (v.name != null) cur.name = String(v.name).slice(0, 100);
    if (v.email != null) cur.email = String(v.email).slice(0, 200);
    save('visitor', JSON.stringify(cur));
    if ('id' in v) S.ident = v.id == null ? null : { id: String(v.id), sig: String(v.signature || '') };
  };
  boot();
  queued.forEach(function (c) { if (P[c[0]]) P[c[0]].apply(P, c[1]); });
})(window, document);
