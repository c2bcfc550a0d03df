/* The heat map: municipal districts as a choropleth, H3 hexagons when zoomed in.
   Tile-less by default (the project's own geometry); tiles only if OTKLIK_MAP_TILES_URL is set. */
(function () {
  "use strict";
  var COLORS = ["#f7fbff", "#deebf7", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#08519c", "#08306b"];
  var HEX_ZOOM = 8; // hexagons replace the districts' fill from this zoom on (and 1.5 above the region's)

  // Class breaks by quantiles of the non-zero values (the largest value closes the last class), so
  // one big city does not wash out the rest; the classes spread over the whole palette.
  function breaks(values) {
    var v = values.filter(function (x) { return x > 0; }).sort(function (a, b) { return a - b; });
    var out = [];
    if (!v.length) return out;
    for (var k = 1; k < COLORS.length - 1; k++) {
      var cut = v[Math.min(v.length - 1, Math.floor((k * v.length) / (COLORS.length - 1)))];
      if (!out.length || cut > out[out.length - 1]) out.push(cut);
    }
    if (v[v.length - 1] > out[out.length - 1]) out.push(v[v.length - 1]);
    return out;
  }

  function shade(k, cuts) {
    return COLORS[1 + Math.round((k * (COLORS.length - 2)) / Math.max(1, cuts.length - 1))];
  }

  function color(value, cuts) {
    if (!value || !cuts.length) return COLORS[0];
    var k = 0;
    while (k < cuts.length - 1 && value > cuts[k]) k++;
    return shade(k, cuts);
  }

  function fmt(v) { return v === null || v === undefined ? "—" : (Math.round(v * 100) / 100).toLocaleString("ru-RU"); }

  // Built node by node: the Content-Security-Policy allows no style attributes in markup.
  function legend(el, cuts, label) {
    function add(tag, text, background) {
      var node = document.createElement(tag);
      if (text !== null) node.textContent = text;
      if (background) node.style.background = background;
      el.appendChild(node);
    }
    el.textContent = "";
    add("span", label + ":");
    add("i", null, COLORS[0]);
    add("span", "0");
    cuts.forEach(function (cut, k) {
      add("i", null, shade(k, cuts));
      add("span", "≤ " + fmt(cut));
    });
  }

  function init() {
    var el = document.getElementById("heatmap");
    var cfgEl = document.getElementById("heatmap-config");
    if (!el || !cfgEl || !window.L) return;
    var cfg = JSON.parse(cfgEl.textContent);
    var metricLabel = (document.querySelector("#id_metric option:checked") || {}).textContent || cfg.metric;
    var map = window.L.map(el, { attributionControl: !!cfg.tiles, zoomSnap: 0.25, minZoom: 5 });
    if (cfg.tiles) window.L.tileLayer(cfg.tiles, { maxZoom: 18 }).addTo(map);
    var values = {};
    var cuts = [];
    var legendEl = document.getElementById("heatmap-legend");
    var hexLayer = window.L.layerGroup().addTo(map);
    var geometryEl = document.getElementById("heatmap-geometry");
    var geometry = geometryEl ? JSON.parse(geometryEl.textContent) : { type: "FeatureCollection", features: [] };
    var districts = window.L.geoJSON(geometry, {
      style: function () { return { color: "#4b5563", weight: 1, fillOpacity: 0.85, fillColor: COLORS[0] }; },
      onEachFeature: function (feature, layer) {
        if (cfg.queueUrl) layer.on("click", function () {
          var q = "territory=" + feature.properties.id + (cfg.queueQuery ? "&" + cfg.queueQuery : "");
          window.location.href = cfg.queueUrl + "?" + q;
        });
        layer.on("mouseover", function () { layer.setStyle({ weight: 2.5, color: "#111827" }); });
        layer.on("mouseout", function () { layer.setStyle({ weight: 1, color: "#4b5563" }); });
      }
    }).addTo(map);
    if (districts.getLayers().length) map.fitBounds(districts.getBounds(), { padding: [8, 8] });
    else map.setView([51.5, 46.0], 7);
    var hexZoom = Math.max(HEX_ZOOM, map.getZoom() + 1.5);
    window.L.control.scale({ imperial: false }).addTo(map);

    function paint() {
      var hexMode = map.getZoom() >= hexZoom;
      districts.eachLayer(function (layer) {
        var v = values[layer.feature.properties.id];
        var value = v ? v.value : 0;
        layer.setStyle({ fillColor: color(value, cuts), fillOpacity: hexMode ? 0.08 : 0.85 });
        var text = "<strong>" + layer.feature.properties.name + "</strong><br>" + metricLabel + ": " + fmt(value);
        if (v) text += "<br>" + v.messages + " / " + v.open + " / " + v.overdue;
        layer.bindTooltip(text, { sticky: true, className: "an-tooltip" });
      });
    }

    fetch(cfg.dataUrl + "?" + cfg.query + "&metric=" + cfg.metric, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        data.territories.forEach(function (t) { values[t.id] = t; });
        cuts = breaks(data.territories.map(function (t) { return t.value || 0; }));
        legend(legendEl, cuts, metricLabel);
        paint();
        el.classList.add("map-ready");
        el.setAttribute("data-territories", String(data.territories.length));
      });

    var hexRequest = 0;
    function loadHexes() {
      var zoom = map.getZoom();
      hexLayer.clearLayers();
      paint();
      if (zoom < hexZoom) {
        el.removeAttribute("data-hex");
        legend(legendEl, cuts, metricLabel);
        return;
      }
      var res = zoom >= Math.max(10.5, hexZoom + 1.5) ? cfg.hexResolutions[1] : cfg.hexResolutions[0];
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(4); }).join(",");
      var mine = ++hexRequest;
      fetch(cfg.hexUrl + "?" + cfg.query + "&metric=" + cfg.metric + "&res=" + res + "&bbox=" + bbox, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (mine !== hexRequest) return;
          var hcuts = breaks(data.cells.map(function (c) { return c.value; }));
          legend(legendEl, hcuts, metricLabel);
          data.cells.forEach(function (c) {
            window.L.polygon(c.boundary, { color: "#1f2937", weight: 0.5, fillOpacity: 0.8, fillColor: color(c.value, hcuts) })
              .bindTooltip(metricLabel + ": " + fmt(c.value), { sticky: true })
              .addTo(hexLayer);
          });
          el.setAttribute("data-hex", String(data.cells.length));
        });
    }
    map.on("zoomend moveend", loadHexes);
    window.otklikHeatmap = map;
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
