/*
 * Parley channel form behaviour (loaded on the channel page only; the CSP forbids inline scripts).
 * - switches the Operators / Options / Channel Rules / Widget tabs without a reload, keeping ?tab= in the URL;
 * - the live preview of the launcher button and the chat window, fed by the Options inputs;
 * - colour inputs paired with text inputs that take #hex, rgb() and hsl(), and their Reset buttons;
 * - dialogs: tabs inside a dialog, 422 answers swapped in place (field errors), "parley:close-dialog";
 * - the rule dialog: timer shown only for "Open automatically", the country search.
 */
(function () {
  'use strict';

  // ---- Tabs ---------------------------------------------------------------
  function showTab(name) {
    var tabs = document.querySelectorAll('.sheet > .tabs [data-tab]');
    if (!tabs.length) return;
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i].getAttribute('data-tab') === name;
      tabs[i].classList.toggle('active', on);
      tabs[i].setAttribute('aria-selected', on ? 'true' : 'false');
      var panel = document.getElementById(tabs[i].getAttribute('aria-controls'));
      if (panel) panel.hidden = !on;
    }
    var input = document.querySelector('[data-tab-input]');
    if (input) input.value = name;
  }

  // ---- Colours ------------------------------------------------------------
  // The server accepts #RGB, #RRGGBB, rgb(r, g, b) and hsl(h, s%, l%); the
  // browser's canvas turns any of them into #rrggbb for the colour picker.
  var canvasCtx = null;
  function toHex(value) {
    var v = (value || '').trim();
    if (!/^(#[0-9a-f]{3}|#[0-9a-f]{6}|rgb\([^)]*\)|hsl\([^)]*\))$/i.test(v)) return null;
    if (!window.CSS || !CSS.supports('color', v)) return null;
    if (!canvasCtx) canvasCtx = document.createElement('canvas').getContext('2d');
    canvasCtx.fillStyle = '#000000';
    canvasCtx.fillStyle = v;
    var out = String(canvasCtx.fillStyle);
    return /^#[0-9a-f]{6}$/i.test(out) ? out : null;
  }

  function colorText(id) { return document.getElementById(id); }
  function colorPicker(id) { return document.querySelector('input[type=color][data-color-for="' + id + '"]'); }

  // syncColor mirrors a text input into its picker and marks bad values.
  function syncColor(text) {
    var hex = toHex(text.value);
    text.classList.toggle('invalid-soft', hex === null && text.value.trim() !== '');
    var picker = colorPicker(text.id);
    if (hex && picker) picker.value = hex;
    return hex;
  }

  // ---- Live preview -------------------------------------------------------
  function preview(name) { return document.querySelector('[data-preview="' + name + '"]'); }

  function colorValue(id) {
    var t = colorText(id);
    if (!t) return null;
    return toHex(t.value);
  }

  function updatePreview() {
    var form = document.querySelector('[data-channel-options]');
    if (!form) return;
    var button = preview('button');
    var header = preview('header');
    var c;
    if (button) {
      if ((c = colorValue('button_background_color'))) button.style.background = c;
      if ((c = colorValue('button_text_color'))) button.style.color = c;
    }
    if (header) {
      if ((c = colorValue('header_background_color'))) header.style.background = c;
      if ((c = colorValue('title_color'))) header.style.color = c;
    }
    var map = { button_text: 'button_text', welcome: 'welcome', placeholder: 'placeholder', title: 'title' };
    var sources = document.querySelectorAll('[data-preview-source]');
    for (var i = 0; i < sources.length; i++) {
      var key = map[sources[i].getAttribute('data-preview-source')];
      var el = key && preview(key);
      if (!el) continue;
      var text = sources[i].value.trim();
      if (key === 'placeholder' && !text) text = el.getAttribute('data-fallback') || '';
      if (key === 'welcome') el.hidden = !text;
      if (key === 'button_text' && preview('bubble')) preview('bubble').hidden = !text;
      el.textContent = text;
    }
  }

  // ---- Rule dialog --------------------------------------------------------
  function applyRuleAction(select) {
    var form = select.closest('form');
    if (!form) return;
    var action = select.value;
    var shows = form.querySelectorAll('[data-show-when-action]');
    for (var i = 0; i < shows.length; i++) shows[i].hidden = shows[i].getAttribute('data-show-when-action') !== action;
    var hides = form.querySelectorAll('[data-hide-when-action]');
    for (var j = 0; j < hides.length; j++) hides[j].hidden = hides[j].getAttribute('data-hide-when-action') === action;
  }

  function fold(s) {
    s = String(s || '').toLowerCase();
    return s.normalize ? s.normalize('NFD').replace(/[\u0300-\u036f]/g, '') : s;
  }

  function filterCountries(input) {
    var field = input.closest('.field');
    if (!field) return;
    var q = fold(input.value.trim());
    var rows = field.querySelectorAll('.country');
    for (var i = 0; i < rows.length; i++) {
      rows[i].hidden = q !== '' && fold(rows[i].getAttribute('data-name')).indexOf(q) === -1;
    }
  }

  function countCountries(box) {
    var field = box.closest('.field');
    var out = field && field.querySelector('[data-country-count]');
    if (!out) return;
    var n = field.querySelectorAll('.country input:checked').length;
    out.textContent = n ? '(' + n + ')' : '';
  }

  // ---- Dialogs ------------------------------------------------------------
  function showDialogPane(dialog, name) {
    var tabs = dialog.querySelectorAll('[data-dialog-tab]');
    for (var i = 0; i < tabs.length; i++) {
      var on = tabs[i].getAttribute('data-dialog-tab') === name;
      tabs[i].classList.toggle('active', on);
      tabs[i].setAttribute('aria-selected', on ? 'true' : 'false');
    }
    var panes = dialog.querySelectorAll('[data-dialog-panel]');
    for (var j = 0; j < panes.length; j++) panes[j].hidden = panes[j].getAttribute('data-dialog-panel') !== name;
    var first = dialog.querySelector('[data-dialog-panel="' + name + '"] input:not([type=hidden]):not([type=checkbox])');
    if (first) first.focus();
  }

  function closeDialogs() {
    var open = document.querySelectorAll('dialog[open]');
    for (var i = 0; i < open.length; i++) open[i].close();
  }

  // ---- Events -------------------------------------------------------------
  document.addEventListener('click', function (evt) {
    var t = evt.target;
    if (!(t instanceof Element)) return;
    var tab = t.closest('.sheet > .tabs [data-tab]');
    if (tab && !evt.ctrlKey && !evt.metaKey && !evt.shiftKey && evt.button === 0) {
      evt.preventDefault();
      var name = tab.getAttribute('data-tab');
      showTab(name);
      var url = new URL(window.location.href);
      url.searchParams.set('tab', name);
      history.replaceState(history.state, '', url.pathname + url.search);
      return;
    }
    var pane = t.closest('[data-dialog-tab]');
    if (pane) {
      showDialogPane(pane.closest('dialog'), pane.getAttribute('data-dialog-tab'));
      return;
    }
    var reset = t.closest('[data-reset-colors]');
    if (reset) {
      var ids = reset.getAttribute('data-reset-colors').split(/\s+/);
      for (var i = 0; i < ids.length; i++) {
        var text = colorText(ids[i]);
        if (text) { text.value = text.getAttribute('data-default'); syncColor(text); }
      }
      updatePreview();
    }
  });

  document.addEventListener('input', function (evt) {
    var t = evt.target;
    if (!(t instanceof Element)) return;
    if (t.matches('input[type=color][data-color-for]')) {
      var text = colorText(t.getAttribute('data-color-for'));
      if (text) { text.value = t.value.toUpperCase(); text.classList.remove('invalid-soft'); }
      updatePreview();
    } else if (t.matches('[data-color-text]')) {
      syncColor(t);
      updatePreview();
    } else if (t.matches('[data-preview-source]')) {
      updatePreview();
    } else if (t.matches('[data-country-filter]')) {
      filterCountries(t);
    }
  });

  document.addEventListener('change', function (evt) {
    var t = evt.target;
    if (!(t instanceof Element)) return;
    if (t.matches('[data-rule-action]')) applyRuleAction(t);
    else if (t.matches('.country input')) countCountries(t);
  });

  // A 422 answer carries the form again with its field errors: swap it in
  // place instead of raising the error toast.
  document.addEventListener('htmx:beforeSwap', function (evt) {
    var elt = evt.detail.elt;
    if (evt.detail.xhr.status === 422 && elt && elt.closest && elt.closest('[data-swap-422]')) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  document.addEventListener('parley:close-dialog', function () {
    closeDialogs();
    var pick = document.getElementById('operator-pick-form');
    if (pick) pick.reset();
  });

  // Dialogs start on their first pane; a closed rule dialog forgets its form.
  document.addEventListener('close', function (evt) {
    var d = evt.target;
    if (!(d instanceof HTMLDialogElement)) return;
    if (d.querySelector('[data-dialog-tab]')) showDialogPane(d, d.querySelector('[data-dialog-tab]').getAttribute('data-dialog-tab'));
    var slot = d.querySelector('.modal-slot');
    if (slot) slot.innerHTML = '';
  }, true);

  // Keep the browser's back/forward tab in sync with ?tab=.
  window.addEventListener('popstate', function () {
    var tab = new URL(window.location.href).searchParams.get('tab');
    if (tab) showTab(tab);
  });

  function init() {
    var texts = document.querySelectorAll('[data-color-text]');
    for (var i = 0; i < texts.length; i++) syncColor(texts[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
