/* The public problem map: one circle per problem (orange in work, green answered; a ring where only
   the town is known) on the region's district outlines. Tile-less by default; tiles only if OTKLIK_MAP_TILES_URL is set. Popups are
   built as DOM nodes, never from HTML strings: the texts come from residents. */
(function () {
  "use strict";

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text) { el.textContent = text; }
    return el;
  }

  function day(iso) {
    var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso || "");
    return m ? m[3] + "." + m[2] + "." + m[1] : "";
  }

  // The popup's content is the problem's Open311 row (masked like every public text), asked for
  // when the popup opens: the page carries only the points.
  function fill(box, point, row, cfg) {
    box.textContent = "";
    var closed = row.status === "closed";
    box.appendChild(node("strong", "", row.service_name || ""));
    if (point.town) { box.appendChild(node("p", "muted small", cfg.strings.town)); }
    box.appendChild(node("span", "badge" + (closed ? " pm-badge-closed" : ""), closed ? cfg.strings.closed : (row.status_notes || cfg.strings.open)));
    box.appendChild(node("p", "muted small", [day(row.requested_datetime), row.address].filter(Boolean).join(" · ")));
    var text = (row.description || "").replace(/\s+/g, " ");
    box.appendChild(node("p", "", text.length > 200 ? text.slice(0, 199) + "…" : text));
    if (closed && row.status_notes) { box.appendChild(node("p", "answer", row.status_notes)); }
    var link = node("a", "", cfg.strings.more);
    link.href = cfg.detailUrl + encodeURIComponent(point.id) + "/";
    box.appendChild(link);
  }

  function popup(point, cfg) {
    var box = node("div", "pm-popup", cfg.strings.loading);
    box.setAttribute("data-problem", point.id);
    fetch(cfg.requestUrl + encodeURIComponent(point.id) + ".json", { headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (rows) { fill(box, point, rows[0], cfg); box.setAttribute("data-loaded", "1"); })
      .catch(function () {
        box.textContent = "";
        var link = node("a", "", cfg.strings.failed);
        link.href = cfg.detailUrl + encodeURIComponent(point.id) + "/";
        box.appendChild(link);
      })
      .then(function () { if (point.marker.isPopupOpen()) { point.marker.getPopup().update(); } });
    return box;
  }

  function init() {
    var el = document.getElementById("public-map");
    var cfgEl = document.getElementById("public-map-config");
    if (!el || !cfgEl || !window.L) { return; }
    var cfg = JSON.parse(cfgEl.textContent);
    var map = window.L.map(el, { attributionControl: !!cfg.tiles, zoomSnap: 0.25, minZoom: 5, maxZoom: 18 });
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
    // Close points gather into clusters (Leaflet.markercluster) that split as the map zooms in; a
    // cluster of points at one spot spiders out on a click.
    var points = window.L.markerClusterGroup
      ? window.L.markerClusterGroup({ maxClusterRadius: 40, spiderfyOnMaxZoom: true, showCoverageOnHover: false })
      : window.L.featureGroup();
    points.addTo(map);
    cfg.points.forEach(function (point) {
      var colour = point.closed ? "#16a34a" : "#ea580c";
      // A point of its own (a building, a street, a pin) is a dot; a case known only to its town
      // sits on the town's point and is a ring (docs/decisions/0008-public-points.md).
      var marker = window.L.circleMarker([point.lat, point.lon], point.town
        ? { radius: 6, weight: 3, color: colour, fillColor: "#ffffff", fillOpacity: 0.9 }
        : { radius: 6, weight: 1, color: "#ffffff", fillOpacity: 0.9, fillColor: colour });
      point.marker = marker;
      marker.on("click", function () {  // a fresh popup each time: the answer may have come since
        marker.unbindPopup().bindPopup(popup(point, cfg), { maxWidth: 320, minWidth: 240 }).openPopup();
      });
      marker.on("add", function () {  // drawn: now or when its cluster splits
        var drawn = marker.getElement();
        if (drawn) {
          drawn.setAttribute("data-problem", point.id);
          if (point.town) { drawn.setAttribute("data-town", "1"); }
        }
      });
      points.addLayer(marker);
    });
    el.setAttribute("data-points", String(points.getLayers().length));
    // Bring one problem's point out of its cluster (a link to a problem, the browser tests).
    window.otklikShowProblem = function (id, done) {
      var found = cfg.points.filter(function (p) { return p.id === id; })[0];
      if (!found) { return; }
      if (points.zoomToShowLayer) { points.zoomToShowLayer(found.marker, done); } else if (done) { done(); }
    };
    el.classList.add("map-ready");
    window.otklikProblemMap = map;
  }

  document.addEventListener("DOMContentLoaded", init);
})();
