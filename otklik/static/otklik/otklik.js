/* Otklik operator UI: deadline countdowns that keep ticking, the tile-less case map (a click sets the
   point when the place is unknown), "use as a draft" for similar past cases' answers and the
   queue's "tick all suggestions".
   No network: Leaflet comes from xstatic-leaflet, htmx from django-htmx. */
(function () {
  "use strict";

  function strings() {
    var el = document.getElementById("ui-strings");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function durationText(seconds, s) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var days = Math.floor(minutes / 1440);
    var hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) { return days + " " + s.days + " " + hours + " " + s.hours; }
    if (hours) { return hours + " " + s.hours + " " + mins + " " + s.minutes; }
    return mins + " " + s.minutes;
  }

  function tick(root) {
    var s = strings();
    if (!s.left) { return; }
    var now = Date.now();
    (root || document).querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(deadline)) { return; }
      var seconds = (deadline - now) / 1000;
      var template = seconds < 0 ? s.overdue : s.left;
      el.textContent = template.replace("%(t)s", durationText(seconds, s));
      el.classList.toggle("late", seconds < 0);
      el.classList.toggle("soon", seconds >= 0 && seconds < 4 * 3600);
    });
  }

  function initMaps(root) {
    if (typeof window.L === "undefined") { return; }
    (root || document).querySelectorAll("[data-map-source]").forEach(function (el) {
      if (el.dataset.ready) { return; }
      var source = document.getElementById(el.getAttribute("data-map-source"));
      if (!source) { return; }
      var data = JSON.parse(source.textContent);
      el.dataset.ready = "1";
      var map = window.L.map(el, { attributionControl: false, scrollWheelZoom: false, zoomSnap: 0.25 });
      var area = null;
      var marker = null;
      var bounds = null;
      if (data.geometry) {
        area = window.L.geoJSON(data.geometry, {
          style: { color: "#1f4e8c", weight: 2, fillColor: "#3b6fb6", fillOpacity: 0.08 }
        });
        bounds = area.getBounds();
      }
      if (data.point) {
        marker = window.L.circleMarker(data.point, {
          radius: 8, color: "#ffffff", weight: 2, fillColor: data.approximate ? "#8a94a6" : "#c62828",
          fillOpacity: 1
        });
        if (bounds && bounds.isValid()) { bounds.extend(data.point); }
      }
      // The view must be set before layers with permanent tooltips are added.
      if (bounds && bounds.isValid()) {
        map.fitBounds(bounds, { padding: [16, 16] });
      } else if (data.point) {
        map.setView(data.point, 14);
      } else if (data.center) {
        map.setView(data.center, 7);
      } else {
        return;
      }
      if (area) {
        area.addTo(map);
        if (data.area) {
          area.bindTooltip(data.area, { permanent: true, direction: "center", className: "map-area-label" });
        }
      }
      if (marker) {
        marker.addTo(map);
        if (data.label) { marker.bindTooltip(data.label, { direction: "top", offset: [0, -8] }); }
      }
      window.L.control.scale({ imperial: false }).addTo(map);
      if (data.pick) { enablePick(map, el); }
      el.classList.add("map-ready");
    });
  }

  // The place is unknown: a click puts the point and fills the "pick the place" action's form.
  function enablePick(map, el) {
    var picked = null;
    el.classList.add("map-pick");
    map.on("click", function (event) {
      var lat = event.latlng.lat.toFixed(6);
      var lon = event.latlng.lng.toFixed(6);
      if (picked) { picked.setLatLng(event.latlng); } else {
        picked = window.L.circleMarker(event.latlng, {
          radius: 9, color: "#ffffff", weight: 2, fillColor: "#1f4e8c", fillOpacity: 1
        }).addTo(map);
      }
      var latInput = document.querySelector('[data-place-input="lat"]');
      var lonInput = document.querySelector('[data-place-input="lon"]');
      if (!latInput || !lonInput) { return; }
      latInput.value = lat;
      lonInput.value = lon;
      var action = latInput.closest("details");
      if (action) { action.open = true; }
    });
  }

  // "Use as a draft": a similar past case's approved answer goes into the answer form.
  function useDraft(button) {
    var textarea = document.getElementById("id_answer_text");
    if (!textarea) { return; }
    textarea.value = button.getAttribute("data-use-draft");
    // the server refuses a draft sent unchanged: it must know which text was offered
    var draft = document.getElementById("id_answer_draft");
    if (draft) { draft.value = button.getAttribute("data-use-draft"); }
    var source = document.getElementById("id_answer_draft_source");
    if (source) { source.value = button.getAttribute("data-draft-source") || ""; }
    var action = textarea.closest("details");
    if (action) { action.open = true; }
    showDraftRefusal(textarea, "");
    textarea.focus();
    textarea.scrollIntoView({ block: "center" });
    var blank = textarea.value.indexOf(BLANK);  // the first blank selected: typing fills it in
    if (blank >= 0) { textarea.setSelectionRange(blank, blank + BLANK.length); }
  }

  // A draft never goes out unchanged or with a blank left (the server refuses it too, in the same
  // words); said at the form before sending, so that what the executor wrote stays in it.
  var BLANK = "[…]";
  function draftRefusal(form) {
    var draft = form.querySelector("#id_answer_draft");
    var textarea = form.querySelector("#id_answer_text");
    if (!draft || !textarea || !draft.value.trim()) { return ""; }
    var words = function (text) { return text.toLowerCase().split(/\s+/).filter(Boolean).join(" "); };
    if (words(textarea.value) === words(draft.value)) { return draft.getAttribute("data-unchanged") || ""; }
    if (/\[…\]|\[\.\.\.\]/.test(textarea.value)) { return draft.getAttribute("data-placeholder") || ""; }
    return "";
  }

  function showDraftRefusal(textarea, reason) {
    var shown = textarea.parentNode.querySelector('[data-testid="draft-refused"]');
    if (!reason) {
      if (shown) { shown.remove(); }
      return;
    }
    if (!shown) {
      shown = document.createElement("p");
      shown.className = "field-error";
      shown.setAttribute("role", "alert");
      shown.setAttribute("data-testid", "draft-refused");
      textarea.insertAdjacentElement("afterend", shown);
    }
    shown.textContent = reason;
    var blank = textarea.value.indexOf(BLANK);
    textarea.focus();
    if (blank >= 0) { textarea.setSelectionRange(blank, blank + BLANK.length); }
  }

  function checkDraft(event) {
    var form = event.target && event.target.closest ? event.target.closest("form") : null;
    var textarea = form ? form.querySelector("#id_answer_text") : null;
    if (!textarea) { return; }
    var reason = draftRefusal(form);
    showDraftRefusal(textarea, reason);
    if (reason) { event.preventDefault(); }
  }

  // Bars' widths come as data-bar-width: the Content-Security-Policy allows no style attributes.
  function bars(root) {
    (root || document).querySelectorAll("[data-bar-width]").forEach(function (el) {
      el.style.width = el.getAttribute("data-bar-width");
    });
  }

  function init(root) {
    bars(root);
    initMaps(root);
    tick(root);
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    window.setInterval(function () { tick(document); }, 30000);
    document.body.addEventListener("htmx:load", function (event) { init(event.target); });
    document.body.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-use-draft]") : null;
      if (button) { useDraft(button); }
    });
    // before HTMX sends the answer form, and before a plain submit (without HTMX)
    document.body.addEventListener("htmx:beforeRequest", checkDraft);
    document.body.addEventListener("submit", checkDraft);
    document.body.addEventListener("input", function (event) {
      if (event.target.id === "id_answer_text") { showDraftRefusal(event.target, ""); }
    });
    // The queue's "all suggestions on this page": tick or untick every row's box of that name.
    document.body.addEventListener("change", function (event) {
      var name = event.target.getAttribute && event.target.getAttribute("data-check-all");
      if (!name) { return; }
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = event.target.checked;
      });
    });
    // HTMX pushes filter changes into the URL: switch the language without losing them.
    document.querySelectorAll("form.langswitch").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.elements.next.value = window.location.pathname + window.location.search;
      });
    });
    // Everything above is wired: browser tests wait for this before they click or tick.
    document.documentElement.setAttribute("data-otklik", "ready");
  });
})();
