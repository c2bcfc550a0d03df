/* The situational center's map: the region's districts shaded by turnout at the reporting stations,
   outlined in red where incidents are open. Tile-less by default (the project's own geometry). */
(function () {
  "use strict";
  var SHADES = ["#f1f5f9", "#dbeafe", "#bfdbfe", "#93c5fd", "#60a5fa", "#3b82f6", "#1d4ed8"];

  function shade(turnout) {
    if (turnout === null || turnout === undefined) { return SHADES[0]; }
    return SHADES[Math.min(SHADES.length - 1, 1 + Math.floor(turnout / 12))];
  }

  function init() {
    var el = document.getElementById("election-map");
    var cfgEl = document.getElementById("election-map-config");
    var geometryEl = document.getElementById("heatmap-geometry");
    if (!el || !cfgEl || !window.L) { return; }
    var cfg = JSON.parse(cfgEl.textContent);
    var byId = {};
    cfg.territories.forEach(function (t) { byId[t.id] = t; });
    var geometry = geometryEl ? JSON.parse(geometryEl.textContent) : { type: "FeatureCollection", features: [] };
    var map = window.L.map(el, { attributionControl: !!cfg.tiles, zoomSnap: 0.25, minZoom: 5 });
    if (cfg.tiles) { window.L.tileLayer(cfg.tiles, { maxZoom: 18 }).addTo(map); }
    var shaded = 0;
    var layer = window.L.geoJSON(geometry, {
      style: function (feature) {
        var t = byId[feature.properties.id];
        var alarm = t && t.incidents > 0;
        return { color: alarm ? "#b42318" : "#94a3b8", weight: alarm ? 3 : 1, fillOpacity: 0.85, fillColor: shade(t && t.turnout) };
      },
      onEachFeature: function (feature, path) {
        var t = byId[feature.properties.id];
        var box = document.createElement("div");
        var title = document.createElement("strong");
        title.textContent = feature.properties.name;
        box.appendChild(title);
        if (t) {
          shaded += 1;
          var line = document.createElement("div");
          line.textContent = t.opened + " / " + t.stations + " · " + (t.turnout === null ? "—" : t.turnout + " %") +
            (t.incidents ? " · ⚠ " + t.incidents : "");
          box.appendChild(line);
        }
        path.bindTooltip(box, { sticky: true });
      }
    }).addTo(map);
    if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [8, 8] }); }
    else { map.setView([51.5, 46.0], 7); }
    el.setAttribute("data-territories", String(shaded));
    el.classList.add("map-ready");
  }

  document.addEventListener("DOMContentLoaded", init);
})();
