/* Keyboard shortcuts of the queue and the case card (the help overlay opens with "?").
   Queue: j/k move between rows, o or Enter open the case, x ticks the row, a accepts the ticked
   suggestions (the current row's if none is ticked), e corrects category, place and agency in the row
   itself (E: on the card), / searches; in the row's form Enter saves (the next row becomes current)
   and Esc cancels.
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

  function setCurrent(row) {
    rows().forEach(function (other) { other.classList.remove("row-current"); other.removeAttribute("aria-current"); });
    row.classList.add("row-current");
    row.setAttribute("aria-current", "true");
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var at = all.indexOf(current());
    setCurrent(all[Math.max(0, Math.min(all.length - 1, at < 0 ? 0 : at + step))]);
  }

  function editInRow(row) {
    var button = row.querySelector("[data-inline-edit]");
    if (button) { button.click(); } else { openRow(row, "#edit"); }
  }

  // The row's correction form (cases/_inline_edit.html): Enter saves, Esc puts the row back.
  function inlineFormKeys(event) {
    var form = event.target && event.target.closest && event.target.closest("form.inline-edit");
    if (!form || event.ctrlKey || event.altKey || event.metaKey) { return false; }
    if (event.key === "Escape") {
      var cancel = form.querySelector("[data-inline-cancel]");
      if (cancel) { cancel.click(); }
      return true;
    }
    if (event.key === "Enter" && event.target.tagName === "SELECT") {
      if (form.requestSubmit) { form.requestSubmit(); }
      return true;
    }
    return false;
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
    if (inlineFormKeys(event)) { event.preventDefault(); return; }
    if (event.ctrlKey || event.altKey || event.metaKey || typing(event.target)) { return; }
    var onQueue = !!document.querySelector("table.queue");
    var onCard = !!document.getElementById("case-card");
    var key = event.key;
    var done = true;
    if (key === "?") { help(); }
    else if (onQueue && key === "j") { move(1); }
    else if (onQueue && key === "k") { move(-1); }
    else if (onQueue && (key === "o" || key === "Enter") && current()) { openRow(current()); }
    else if (onQueue && key === "e" && current()) { editInRow(current()); }
    else if (onQueue && key === "E" && current()) { openRow(current(), "#edit"); }
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
    // A row swapped in alone becomes the current row: the inline form (its first field focused), or
    // the row put back by "cancel"; once a correction is saved, the next row is current (next case).
    var saving = null;
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      var form = event.detail && event.detail.elt;
      if (form && form.matches && form.matches("form.inline-edit")) {
        var editing = form.closest("tr[data-case]");
        saving = editing ? editing.getAttribute("data-case") : null;
      }
    });
    document.body.addEventListener("htmx:load", function (event) {
      var row = event.target;
      if (!(row && row.matches && row.matches("table.queue tbody tr[data-case]"))) { return; }
      if (row.matches("[data-inline-editor]")) {
        setCurrent(row);
        var field = row.querySelector("select, input:not([type=hidden])");
        if (field) { field.focus(); }
        return;
      }
      var saved = saving !== null && row.getAttribute("data-case") === saving;
      saving = null;
      var next = saved ? row.nextElementSibling : null;
      setCurrent(next && next.matches("tr[data-case]") ? next : row);
    });
    document.querySelectorAll("[data-shortcuts-open]").forEach(function (button) {
      button.addEventListener("click", help);
    });
    document.querySelectorAll("[data-shortcuts-close]").forEach(function (button) {
      button.addEventListener("click", help);
    });
  });
})();
