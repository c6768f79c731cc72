/*
 * Parley admin behaviour (loaded with <script src defer>; the CSP forbids inline scripts).
 * - sends the CSRF token (<meta name="csrf-token">) on every htmx request; exposes it as Parley.csrfToken()
 *   and Parley.fetch() for plain fetch calls;
 * - localises <time datetime> elements to the viewer's timezone (data-format="date"|"time", data-relative);
 * - shows toasts in #toasts when htmx requests fail;
 * - [data-copy] copy buttons, [data-open-dialog]/[data-close-dialog] dialog helpers,
 *   dialog[data-autoshow] opening after htmx swaps content into it;
 * - closes the .usermenu dropdown on outside click / Escape;
 * - folds the main navigation into a menu button on phones ([data-nav-toggle]).
 */
(function () {
  'use strict';

  // Texts come translated from the page (#admin-i18n); English is the fallback.
  // LOCALE formats dates in the page's language (the admin's choice in My
  // Profile, else the browser's), with the browser's region when it has one
  // for that language ("es" page, "es-MX" browser → es-MX).
  var LOCALE = (function () {
    var lang = document.documentElement.lang;
    if (!lang) return undefined;
    var mine = (navigator.languages || [navigator.language]).filter(function (x) { return x && x.split('-')[0] === lang; });
    return mine[0] || lang;
  })();
  var texts = {};
  try {
    var i18n = document.getElementById('admin-i18n');
    if (i18n) texts = JSON.parse(i18n.textContent);
  } catch (e) { /* keep the English fallbacks */ }
  function tr(key, fallback) { return texts[key] || fallback; }

  // ---- CSRF ---------------------------------------------------------------
  function csrfToken() {
    var m = document.querySelector('meta[name="csrf-token"]');
    return m ? m.getAttribute('content') || '' : '';
  }

  document.addEventListener('htmx:configRequest', function (evt) {
    var t = csrfToken();
    if (t) evt.detail.headers['X-CSRF-Token'] = t;
  });

  // fetch() wrapper adding the CSRF header and same-origin credentials.
  function csrfFetch(url, opts) {
    opts = Object.assign({ credentials: 'same-origin' }, opts || {});
    var headers = new Headers(opts.headers || {});
    var t = csrfToken();
    if (t && !headers.has('X-CSRF-Token')) headers.set('X-CSRF-Token', t);
    opts.headers = headers;
    return fetch(url, opts);
  }

  // ---- Time localisation --------------------------------------------------
  var FORMATS = {
    date: { dateStyle: 'medium' },
    time: { timeStyle: 'short' },
    datetime: { dateStyle: 'medium', timeStyle: 'short' },
    full: { dateStyle: 'full', timeStyle: 'long' }
  };
  var fmtCache = {};
  function formatter(kind) {
    if (!fmtCache[kind]) fmtCache[kind] = new Intl.DateTimeFormat(LOCALE, FORMATS[kind] || FORMATS.datetime);
    return fmtCache[kind];
  }

  var rtf = typeof Intl.RelativeTimeFormat === 'function'
    ? new Intl.RelativeTimeFormat(LOCALE, { numeric: 'auto', style: 'short' }) : null;
  var UNITS = [
    ['year', 31536000], ['month', 2592000], ['week', 604800],
    ['day', 86400], ['hour', 3600], ['minute', 60], ['second', 1]
  ];
  function relative(date) {
    var secs = (date.getTime() - Date.now()) / 1000;
    var abs = Math.abs(secs);
    if (abs < 45) return rtf.format(0, 'second');
    for (var i = 0; i < UNITS.length; i++) {
      if (abs >= UNITS[i][1] || UNITS[i][0] === 'second') {
        return rtf.format(Math.round(secs / UNITS[i][1]), UNITS[i][0]);
      }
    }
  }

  function localiseTimes(root) {
    var els = (root || document).querySelectorAll('time[datetime]');
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var d = new Date(el.getAttribute('datetime'));
      if (isNaN(d.getTime())) continue; // keep the server's UTC text
      try {
        el.title = formatter('full').format(d);
        if (el.hasAttribute('data-relative') && rtf) {
          el.textContent = relative(d);
        } else {
          el.textContent = formatter(el.getAttribute('data-format') || 'datetime').format(d);
        }
      } catch (e) { /* leave fallback text */ }
    }
  }

  // ---- Toasts -------------------------------------------------------------
  function toast(message, isError) {
    var box = document.getElementById('toasts');
    if (!box) {
      box = document.createElement('div');
      box.id = 'toasts';
      document.body.appendChild(box);
    }
    var el = document.createElement('div');
    el.className = isError ? 'toast error' : 'toast';
    el.setAttribute('role', 'status');
    el.setAttribute('aria-live', isError ? 'assertive' : 'polite');
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () {
      el.classList.add('leaving');
      setTimeout(function () { el.remove(); }, 300);
    }, 6000);
    return el;
  }

  function errorMessage(xhr) {
    var fallback = xhr.statusText || tr('requestFailed', 'Request failed (%s)').replace('%s', xhr.status);
    var text = xhr.responseText || '';
    var type = (xhr.getResponseHeader('Content-Type') || '').toLowerCase();
    if (!text) return fallback;
    if (type.indexOf('json') !== -1 || /^\s*\{/.test(text)) {
      try {
        var j = JSON.parse(text);
        if (j && typeof j.error === 'string' && j.error) return j.error;
      } catch (e) { /* not JSON */ }
    }
    if (type.indexOf('html') !== -1 || /^\s*</.test(text)) {
      var doc = new DOMParser().parseFromString(text, 'text/html');
      var node = doc.querySelector('[data-error-message]');
      if (node && node.textContent.trim()) return node.textContent.trim();
    }
    return fallback;
  }

  document.addEventListener('htmx:responseError', function (evt) {
    toast(errorMessage(evt.detail.xhr), true);
  });
  document.addEventListener('htmx:sendError', function () {
    toast(tr('unreachable', 'Could not reach the server. Check your connection and try again.'), true);
  });

  // ---- Copy buttons -------------------------------------------------------
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return legacyCopy(text); });
    }
    return legacyCopy(text);
  }
  function legacyCopy(text) {
    return new Promise(function (resolve, reject) {
      var ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.top = '-1000px';
      ta.style.opacity = '0';
      document.body.appendChild(ta);
      ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      ta.remove();
      if (ok) resolve(); else reject(new Error('copy failed'));
    });
  }

  function onCopy(btn) {
    var src = document.getElementById(btn.getAttribute('data-copy'));
    if (!src) return;
    var text = 'value' in src && (src.tagName === 'INPUT' || src.tagName === 'TEXTAREA') ? src.value : src.textContent;
    copyText(text).then(function () {
      // The first-run checklist counts a copied embed snippet.
      var report = btn.getAttribute('data-copy-report');
      if (report) {
        csrfFetch(report, { method: 'POST' }).then(function (r) {
          if (r.ok) btn.setAttribute('data-copy-reported', '');
        }).catch(function () {});
      }
      if (!btn.dataset.label) btn.dataset.label = btn.textContent;
      btn.textContent = tr('copied', 'Copied');
      btn.classList.add('copied');
      clearTimeout(btn._copyTimer);
      btn._copyTimer = setTimeout(function () {
        btn.textContent = btn.dataset.label;
        btn.classList.remove('copied');
      }, 1500);
    }, function () {
      toast(tr('copyFailed', 'Could not copy to the clipboard.'), true);
    });
  }

  // ---- Dialogs ------------------------------------------------------------
  function openDialog(dlg) {
    if (dlg && !dlg.open && typeof dlg.showModal === 'function') dlg.showModal();
  }

  function autoshow(target) {
    if (!target || !target.closest) return;
    var dlg = target.closest('dialog[data-autoshow]');
    if (dlg && target.innerHTML.trim() !== '') openDialog(dlg);
  }
  document.addEventListener('htmx:afterSwap', function (evt) { autoshow(evt.detail.target || evt.target); });
  document.addEventListener('htmx:oobAfterSwap', function (evt) { autoshow(evt.detail.target || evt.target); });

  // ---- Delegated clicks ---------------------------------------------------
  document.addEventListener('click', function (evt) {
    var t = evt.target;
    if (!(t instanceof Element)) return;

    var copyBtn = t.closest('[data-copy]');
    if (copyBtn) { evt.preventDefault(); onCopy(copyBtn); return; }

    var opener = t.closest('[data-open-dialog]');
    if (opener) {
      evt.preventDefault();
      openDialog(document.getElementById(opener.getAttribute('data-open-dialog')));
      return;
    }

    var closer = t.closest('[data-close-dialog]');
    if (closer) {
      var id = closer.getAttribute('data-close-dialog');
      var dlg = id ? document.getElementById(id) : closer.closest('dialog');
      if (dlg && dlg.open) { evt.preventDefault(); dlg.close(); }
      return;
    }
  });

  // ---- User menu ----------------------------------------------------------
  function closeUserMenus(except) {
    var menus = document.querySelectorAll('details.usermenu[open]');
    for (var i = 0; i < menus.length; i++) {
      if (!except || !menus[i].contains(except)) menus[i].removeAttribute('open');
    }
  }
  document.addEventListener('click', function (evt) {
    closeUserMenus(evt.target instanceof Node ? evt.target : null);
  });
  document.addEventListener('keydown', function (evt) {
    if (evt.key === 'Escape') closeUserMenus(null);
  });

  // ---- Phone navigation ---------------------------------------------------
  // On a narrow screen the main navigation folds into a menu button; the
  // CSS shows the list while the header has .nav-open.
  document.addEventListener('click', function (evt) {
    var btn = evt.target instanceof Element ? evt.target.closest('[data-nav-toggle]') : null;
    var bar = document.querySelector('header.topbar');
    if (!bar) return;
    if (btn) {
      var open = !bar.classList.contains('nav-open');
      bar.classList.toggle('nav-open', open);
      btn.setAttribute('aria-expanded', String(open));
      return;
    }
    if (bar.classList.contains('nav-open') && !bar.contains(evt.target)) setNav(bar, false);
  });
  document.addEventListener('keydown', function (evt) {
    var bar = document.querySelector('header.topbar.nav-open');
    if (evt.key === 'Escape' && bar) {
      setNav(bar, false);
      var btn = bar.querySelector('[data-nav-toggle]');
      if (btn) btn.focus();
    }
  });
  function setNav(bar, open) {
    bar.classList.toggle('nav-open', open);
    var btn = bar.querySelector('[data-nav-toggle]');
    if (btn) btn.setAttribute('aria-expanded', String(open));
  }

  // ---- Init ---------------------------------------------------------------
  document.addEventListener('htmx:afterSettle', function () { localiseTimes(document); });
  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { localiseTimes(document); });
  } else {
    localiseTimes(document);
  }
  // keep relative times fresh
  setInterval(function () {
    var els = document.querySelectorAll('time[datetime][data-relative]');
    if (els.length) localiseTimes(document);
  }, 60000);

  window.Parley = Object.assign(window.Parley || {}, {
    csrfToken: csrfToken,
    fetch: csrfFetch,
    toast: toast,
    localiseTimes: localiseTimes
  });
})();
