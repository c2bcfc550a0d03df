/* The situational center's map: the region's districts shaded by turnout at the reporting stations
   (outlined in red where incidents are open) and every polling station with coordinates as a point
   coloured by its state. Tile-less by default (the project's own geometry). The dashboard's periodic
   HTMX refresh swaps in new figures (#election-live); the map restyles without losing its view. */
(function () {
  "use strict";
  var SHADES = ["#f1f5f9", "#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#3b82f6", "#1d4ed8"];
  var STATE_COLOR = { waiting: "#94a3b8", closed: "#334155" };
  // Stations sit on shaded districts: their own, stronger scale of blue.
  var STATION_SHADES = ["#93c5fd", "#60a5fa", "#3b82f6", "#2563eb", "#1d4ed8", "#1e3a8a"];
  var STATE_LABEL = { ru: { waiting: "не открыт", open: "голосование", closed: "закрыт, подсчёт", silent: "молчит" },
                      en: { waiting: "not opened", open: "voting", closed: "closed, counting", silent: "silent" } };

  function shade(turnout) {
    if (turnout === null || turnout === undefined) { return SHADES[0]; }
    return SHADES[Math.min(SHADES.length - 1, 1 + Math.floor(turnout / 12))];
  }

  function readJSON(id, fallback) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : fallback;
  }

  // The map's filter by type of violation: only incidents of that type ring a station in red.
  var typeFilter = null;

  function alarmed(s) {
    return s.incidents > 0 && (typeFilter === null || (s.v || []).indexOf(typeFilter) >= 0);
  }

  function stationStyle(s) {
    var fill = s.state === "open"
      ? STATION_SHADES[Math.min(STATION_SHADES.length - 1, Math.floor((s.turnout || 0) / 15))]
      : STATE_COLOR[s.state];
    var alarm = alarmed(s);
    var ring = alarm ? "#b42318" : s.silent ? "#d97706" : "#ffffff";
    return { radius: alarm || s.silent ? 7 : 5, color: ring, weight: alarm || s.silent ? 3 : 1,
             fillColor: fill, fillOpacity: 0.95 };
  }

  function stationTooltip(s, labels, commissions) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = "УИК № " + s.n;
    box.appendChild(title);
    [commissions[s.c], s.address,
     labels[s.state] + (s.turnout === null ? "" : " · " + s.turnout + " %") + (s.incidents ? " · ⚠ " + s.incidents : "") +
       (s.silent ? " · " + labels.silent : "")
    ].forEach(function (text) {
      if (!text) { return; }
      var line = document.createElement("div");
      line.textContent = text;
      box.appendChild(line);
    });
    return box;
  }

  function init() {
    var el = document.getElementById("election-map");
    var cfg = readJSON("election-map-config", null);
    if (!el || !cfg || !window.L) { return; }
    var labels = STATE_LABEL[document.documentElement.lang === "en" ? "en" : "ru"];
    var geometry = readJSON("heatmap-geometry", { type: "FeatureCollection", features: [] });
    var map = window.L.map(el, { attributionControl: !!cfg.tiles, zoomSnap: 0.25, minZoom: 3, preferCanvas: true });
    if (cfg.tiles) { window.L.tileLayer(cfg.tiles, { maxZoom: 18 }).addTo(map); }
    var byId = {};
    var districts = window.L.geoJSON(geometry, {
      style: function (feature) {
        var t = byId[feature.properties.id];
        var alarm = t && t.incidents > 0;
        return { color: alarm ? "#b42318" : "#94a3b8", weight: alarm ? 3 : 1, fillOpacity: 0.6, fillColor: shade(t && t.turnout) };
      },
      onEachFeature: function (feature, path) {
        path.bindTooltip(function () {
          var t = byId[feature.properties.id];
          var box = document.createElement("div");
          var title = document.createElement("strong");
          title.textContent = feature.properties.name;
          box.appendChild(title);
          if (t) {
            var line = document.createElement("div");
            line.textContent = t.opened + " / " + t.stations + " · " + (t.turnout === null ? "—" : t.turnout + " %") +
              (t.incidents ? " · ⚠ " + t.incidents : "");
            box.appendChild(line);
          }
          return box;
        }, { sticky: true });
      }
    }).addTo(map);
    var stations = window.L.layerGroup().addTo(map);

    function draw() {
      var data = readJSON("election-live", { territories: [], stations: [] });
      byId = {};
      data.territories.forEach(function (t) { byId[t.id] = t; });
      districts.setStyle(districts.options.style);
      stations.clearLayers();
      var counts = { waiting: 0, open: 0, closed: 0, alarm: 0, silent: 0 };
      // Stations with incidents last, so they are drawn on top.
      data.stations.slice().sort(function (a, b) { return alarmed(a) - alarmed(b); }).forEach(function (s) {
        var marker = window.L.circleMarker([s.lat, s.lon], stationStyle(s));
        marker.bindTooltip(stationTooltip(s, labels, data.commissions || {}));
        if (cfg.station_url) {  // a click opens the station: its observers, reports and incidents
          marker.on("click", function () { window.location.href = cfg.station_url.replace("/0/", "/" + s.n + "/"); });
        }
        stations.addLayer(marker);
        counts[s.state] += 1;
        if (alarmed(s)) { counts.alarm += 1; }
        if (s.silent) { counts.silent += 1; }
      });
      el.setAttribute("data-territories", String(data.territories.length));
      el.setAttribute("data-stations", String(data.stations.length));
      Object.keys(counts).forEach(function (k) { el.setAttribute("data-" + k, String(counts[k])); });
      return data;
    }

    var filter = document.getElementById("el-map-type");
    if (filter) {
      filter.addEventListener("change", function () {
        typeFilter = filter.value ? Number(filter.value) : null;
        draw();
      });
    }
    var first = draw();
    if (districts.getLayers().length) { map.fitBounds(districts.getBounds(), { padding: [8, 8] }); }
    else if (first.stations.length) {
      map.fitBounds(window.L.latLngBounds(first.stations.map(function (s) { return [s.lat, s.lon]; })), { padding: [12, 12] });
    } else { map.setView([51.5, 46.0], 7); }
    document.body.addEventListener("htmx:afterSettle", function () {
      draw();
      el.setAttribute("data-refreshed", String(Number(el.getAttribute("data-refreshed") || 0) + 1));
    });
    el.classList.add("map-ready");
  }

  document.addEventListener("DOMContentLoaded", init);
})();
