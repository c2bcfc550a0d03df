/* The appeal form's pin: a click on the small map puts a marker there and writes its coordinates
   into the hidden lat/lon fields (the server checks them against the region's bounds). Tile-less
   by default (the region's district outlines); tiles only if the site configures them. */
(function () {
  "use strict";

  function init() {
    var el = document.getElementById("appeal-map");
    if (!el || !window.L) { return; }
    var lat = document.getElementById("id_lat");
    var lon = document.getElementById("id_lon");
    var status = document.getElementById("appeal-pin-status");
    if (!lat || !lon) { return; }
    var map = window.L.map(el, { attributionControl: !!el.dataset.tiles, zoomSnap: 0.25, minZoom: 4, maxZoom: 18 });
    if (el.dataset.tiles) { window.L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map); }
    var geometryEl = document.getElementById("heatmap-geometry");
    var geometry = geometryEl ? JSON.parse(geometryEl.textContent) : { type: "FeatureCollection", features: [] };
    var districts = window.L.geoJSON(geometry, {
      style: function () { return { color: "#9aa3b2", weight: 1, fillColor: "#ffffff", fillOpacity: 0.7 }; },
      onEachFeature: function (feature, layer) { layer.bindTooltip(feature.properties.name, { sticky: true }); }
    }).addTo(map);
    var bounds = el.dataset.bounds ? JSON.parse(el.dataset.bounds) : null;
    if (districts.getLayers().length) { map.fitBounds(districts.getBounds(), { padding: [4, 4] }); }
    else if (bounds) { map.fitBounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]]); }
    else { map.setView([55.75, 37.62], 4); }
    var marker = null;

    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); }
      else { marker = window.L.marker(latlng).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      el.setAttribute("data-pinned", "1");
      if (status) { status.textContent = status.dataset.set; }
    }

    if (lat.value && lon.value) { place(window.L.latLng(parseFloat(lat.value), parseFloat(lon.value))); }
    map.on("click", function (e) { place(e.latlng); });
    districts.on("click", function (e) { place(e.latlng); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); }
  else { init(); }
})();
