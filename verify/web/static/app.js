// verify review UI: keyboard shortcuts and quoting by selecting text. No network calls.
(function () {
  "use strict";
  var active = null;

  function sources() { return Array.prototype.slice.call(document.querySelectorAll(".source[data-source-id]")); }

  function activate(card) {
    if (!card) return;
    sources().forEach(function (c) { c.classList.toggle("active", c === card); });
    active = card;
  }

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  // Quoting: text selected inside a source's snapshot text becomes that source's quote.
  function captureSelection() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || sel.rangeCount === 0) return;
    var node = sel.getRangeAt(0).commonAncestorContainer;
    var el = node.nodeType === 1 ? node : node.parentElement;
    var text = el && el.closest(".snaptext");
    var card = text && text.closest(".source");
    if (!card) return;
    var quote = sel.toString().replace(/\s+/g, " ").trim();
    if (!quote) return;
    var input = card.querySelector("input[name=quote]");
    if (input) { input.value = quote; }
    activate(card);
  }

  document.addEventListener("mouseup", function () { setTimeout(captureSelection, 0); });
  document.addEventListener("keyup", function (e) { if (e.shiftKey) captureSelection(); });
  document.addEventListener("click", function (e) {
    var card = e.target.closest && e.target.closest(".source");
    if (card) activate(card);
  });
  document.addEventListener("focusin", function (e) {
    var card = e.target.closest && e.target.closest(".source");
    if (card) activate(card);
  });

  function toggleHelp(show) {
    var help = document.getElementById("help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("help-button");
    if (button) button.addEventListener("click", function () { toggleHelp(); });
    var first = sources().filter(function (c) { return c.querySelector(".snaptext"); })[0] || sources()[0];
    if (first) activate(first);
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") { toggleHelp(false); if (typing(e.target)) e.target.blur(); return; }
    if (typing(e.target)) return;
    var key = e.key;
    if (key === "?") { toggleHelp(); e.preventDefault(); return; }
    if (key === "/") {
      var box = document.getElementById("search-box");
      if (box) { box.focus(); box.select(); e.preventDefault(); }
      return;
    }
    if (key === "n") {
      var next = document.getElementById("next-form");
      if (next) { e.preventDefault(); next.requestSubmit(); }
      return;
    }
    if ("sura".indexOf(key) >= 0 && key.length === 1) {
      captureSelection();
      var card = active || sources()[0];
      var stanceButton = card && card.querySelector("button[data-key='" + key + "']");
      if (stanceButton) { e.preventDefault(); stanceButton.form.requestSubmit(stanceButton); }
      return;
    }
    var n = parseInt(key, 10);
    var choices = document.querySelectorAll("#verdict-form input[name=verdict]");
    if (n >= 1 && n <= choices.length) {
      var radio = choices[n - 1];
      if (radio) {
        e.preventDefault();
        radio.checked = true;
        var note = document.getElementById("verdict-note");
        if (note) note.focus();
      }
    }
  });
})();
