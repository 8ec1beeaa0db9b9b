/* Map of a community's boundary (read-only). Data comes from data-* attributes:
   data-boundary = [[lon, lat], …]; data-neighbours = [{name, outline}]; tiles only when data-tile-url is set. */
(function () {
  "use strict";
  var el = document.getElementById("community-map");
  if (!el || !window.L) { return; }
  function latlngs(outline) { return outline.map(function (p) { return [p[1], p[0]]; }); }
  var map = L.map(el, { scrollWheelZoom: false });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  JSON.parse(el.dataset.neighbours || "[]").forEach(function (n) {
    L.polygon(latlngs(n.outline), { color: "#6b7280", weight: 1, fillOpacity: 0.15 }).bindTooltip(n.name).addTo(map);
  });
  var zone = L.polygon(latlngs(JSON.parse(el.dataset.boundary)), { color: "#d9480f", weight: 3, fillOpacity: 0.2 }).addTo(map);
  map.fitBounds(zone.getBounds(), { padding: [20, 20] });
})();
