/* Map of the community and of the communities near enough to twin with. Data from
   data-* attributes: data-boundary = [[lon, lat], …]; data-items = [{name, outline,
   state, distance}]; tiles only when data-tile-url is set (nothing from other hosts). */
(function () {
  "use strict";
  var el = document.getElementById("twinning-map");
  if (!el || !window.L) { return; }
  var colours = { active: "#2f7d32", proposed: "#1d4ed8", none: "#6b7280" };
  var labels = { active: "jumelée", proposed: "proposition en cours", none: "" };
  function latlngs(outline) { return outline.map(function (p) { return [p[1], p[0]]; }); }
  var map = L.map(el, { scrollWheelZoom: false });
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  var here = L.polygon(latlngs(JSON.parse(el.dataset.boundary)), { color: "#d9480f", weight: 3, fillOpacity: 0.25 }).addTo(map);
  var bounds = here.getBounds();
  JSON.parse(el.dataset.items || "[]").forEach(function (item) {
    var colour = colours[item.state] || colours.none;
    var text = item.name + (labels[item.state] ? " (" + labels[item.state] + ")" : "");
    if (item.distance !== null && item.distance !== undefined) {
      text += " · " + (item.distance / 1000).toFixed(1).replace(".", ",") + " km";
    }
    var shape = L.polygon(latlngs(item.outline), { color: colour, weight: 2, fillOpacity: 0.2 })
      .bindTooltip(text).addTo(map);
    bounds.extend(shape.getBounds());
  });
  map.fitBounds(bounds, { padding: [15, 15] });
})();
