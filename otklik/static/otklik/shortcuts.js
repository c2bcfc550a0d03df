/* Keyboard shortcuts of the queue and the case card (the help overlay opens with "?").
   Queue: j/k move between rows, o or Enter open the case, x ticks the row, a accepts the ticked
   suggestions (the current row's if none is ticked), e opens the case to correct it, / searches.
   Card: n next case, a accepts the suggested category, place and agency, e edits them, u back to
   the queue. Nothing fires while typing in a field or with Ctrl/Alt/Meta held. */
(function () {
  "use strict";

  function typing(target) {
    var tag = (target && target.tagName) || "";
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable);
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr[data-case]"));
  }

  function current() {
    return document.querySelector("table.queue tbody tr.row-current");
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.indexOf(current());
    var next = all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))];
    all.forEach(function (row) { row.classList.remove("row-current"); row.removeAttribute("aria-current"); });
    next.classList.add("row-current");
    next.setAttribute("aria-current", "true");
    next.scrollIntoView({ block: "nearest" });
  }

  function openRow(row, hash) {
    var link = row && row.querySelector("a[href]");
    if (link) { window.location.href = link.getAttribute("href") + (hash || ""); }
  }

  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }

  function editOnCard() {
    var action = document.querySelector('[data-testid="action-moderate"]');
    if (!action) { return; }
    action.open = true;
    var field = action.querySelector("select, input:not([type=hidden]), textarea");
    if (field) { field.focus(); }
    action.scrollIntoView({ block: "center" });
  }

  function acceptOnCard() {
    var form = document.querySelector('[data-testid="action-moderate"] form');
    if (form && form.requestSubmit) { form.requestSubmit(); }
  }

  function acceptInQueue() {
    var form = document.getElementById("confirm-form");
    if (!form) { return; }
    var ticked = document.querySelectorAll('input.bulk-pick:checked');
    if (!ticked.length) {
      var row = current();
      var box = row && row.querySelector("input.bulk-pick");
      if (!box) { return; }
      box.checked = true;
    }
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  function help() {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog) { return; }
    if (dialog.open) { dialog.close(); } else { dialog.showModal(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) { return; }
    var onQueue = !!document.querySelector("table.queue");
    var onCard = !!document.getElementById("case-card");
    var key = event.key;
    var done = true;
    if (key === "?") { help(); }
    else if (onQueue && key === "j") { move(1); }
    else if (onQueue && key === "k") { move(-1); }
    else if (onQueue && (key === "o" || key === "Enter") && current()) { openRow(current()); }
    else if (onQueue && key === "e" && current()) { openRow(current(), "#edit"); }
    else if (onQueue && key === "x" && current()) {
      var box = current().querySelector("input.bulk-pick");
      if (box) { box.checked = !box.checked; }
    }
    else if (onQueue && key === "a") { acceptInQueue(); }
    else if (onQueue && key === "/") { var q = document.getElementById("id_q"); if (q) { q.focus(); } }
    else if (onCard && key === "n") { done = click('[data-shortcut="n"]'); }
    else if (onCard && key === "a") { acceptOnCard(); }
    else if (onCard && key === "e") { editOnCard(); }
    else if (onCard && key === "u") { window.location.href = "/cases/"; }
    else { done = false; }
    if (done) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (window.location.hash === "#edit") { editOnCard(); }
    // Filters fold away on a phone: the queue comes first.
    if (window.matchMedia && window.matchMedia("(max-width: 720px)").matches) {
      document.querySelectorAll("details[data-collapse-narrow]").forEach(function (d) { d.open = false; });
    }
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      button.addEventListener("click", help);
    });
    document.querySelectorAll("[data-shortcuts-close]").forEach(function (button) {
      button.addEventListener("click", help);
    });
  });
})();
