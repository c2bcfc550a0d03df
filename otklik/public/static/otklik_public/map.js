/* The public problem map: one circle per problem (orange in work, green answered) on the region's
   district outlines. Tile-less by default; tiles only if OTKLIK_MAP_TILES_URL is set. Popups are
   built as DOM nodes, never from HTML strings: the texts come from residents. */
(function () {
  "use strict";

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function popup(point, cfg) {
    var box = node("div", "pm-popup");
    box.appendChild(node("strong", "", point.category || ""));
    var state = point.closed ? cfg.strings.closed : (point.status || cfg.strings.open);
    box.appendChild(node("span", "badge" + (point.closed ? " pm-badge-closed" : ""), state));
    box.appendChild(node("p", "muted small", [point.date, point.address].filter(Boolean).join(" · ")));
    box.appendChild(node("p", "", point.text));
    if (point.answer) { box.appendChild(node("p", "answer", point.answer)); }
    var link = node("a", "", cfg.strings.more);
    link.href = cfg.detailUrl + encodeURIComponent(point.id) + "/";
    box.appendChild(link);
    return box;
  }

  function init() {
    var el = document.getElementById("public-map");
    var cfgEl = document.getElementById("public-map-config");
    if (!el || !cfgEl || !window.L) { return; }
    var cfg = JSON.parse(cfgEl.textContent);
    var map = window.L.map(el, { attributionControl: !!cfg.tiles, zoomSnap: 0.25, minZoom: 5 });
    if (cfg.tiles) { window.L.tileLayer(cfg.tiles, { maxZoom: 18 }).addTo(map); }
    var geometryEl = document.getElementById("heatmap-geometry");
    var geometry = geometryEl ? JSON.parse(geometryEl.textContent) : { type: "FeatureCollection", features: [] };
    var districts = window.L.geoJSON(geometry, {
      style: function () { return { color: "#9aa3b2", weight: 1, fillColor: "#ffffff", fillOpacity: 0.7 }; },
      onEachFeature: function (feature, layer) {
        layer.bindTooltip(feature.properties.name, { sticky: true });
      }
    }).addTo(map);
    var latlngs = cfg.points.map(function (point) { return [point.lat, point.lon]; });
    if (districts.getLayers().length) { map.fitBounds(districts.getBounds(), { padding: [8, 8] }); }
    else if (latlngs.length) { map.fitBounds(window.L.latLngBounds(latlngs), { padding: [24, 24], maxZoom: 13 }); }
    else { map.setView([51.5, 46.0], 7); }
    window.L.control.scale({ imperial: false }).addTo(map);
    var points = window.L.featureGroup().addTo(map);
    cfg.points.forEach(function (point) {
      var marker = window.L.circleMarker([point.lat, point.lon], {
        radius: 6, weight: 1, color: "#ffffff", fillOpacity: 0.9,
        fillColor: point.closed ? "#16a34a" : "#ea580c"
      });
      marker.bindPopup(function () { return popup(point, cfg); }, { maxWidth: 320 });
      points.addLayer(marker);
      marker.getElement().setAttribute("data-problem", point.id);  // the view is set: it is drawn
    });
    el.setAttribute("data-points", String(points.getLayers().length));
    el.classList.add("map-ready");
    window.otklikProblemMap = map;
  }

  document.addEventListener("DOMContentLoaded", init);
})();
