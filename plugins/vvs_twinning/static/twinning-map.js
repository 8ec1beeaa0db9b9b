/* Map of the community and of the communities near enough to twin with, each labelled
   with its name. Data from data-* attributes: data-boundary = [[lon, lat], …],
   data-name; data-items = [{name, outline, state, distance}]. */
(function () {
  "use strict";
  var el = document.getElementById("twinning-map");
  if (!el || !window.vvsMap) { return; }
  var colours = { active: "#2f7d32", proposed: "#1d4ed8", none: "#6b7280" };
  var labels = { active: "jumelée", proposed: "proposition en cours", none: "" };
  var map = vvsMap.create(el);
  var here = vvsMap.communities(map, [{ name: el.getAttribute("data-name"), outline: vvsMap.data(el, "boundary", []) }],
                                { color: "#d9480f", weight: 3, fillOpacity: 0.25 });
  var bounds = here.getBounds();
  vvsMap.data(el, "items", []).forEach(function (item) {
    var colour = colours[item.state] || colours.none;
    var shape = vvsMap.communities(map, [item], { color: colour, weight: 2, fillOpacity: 0.2 });
    var text = item.name + (labels[item.state] ? " (" + labels[item.state] + ")" : "");
    if (item.distance !== null && item.distance !== undefined) {
      text += " · " + new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 1}).format(item.distance / 1000) + " km";
    }
    shape.eachLayer(function (layer) { layer.bindPopup(vvsMap.text(text)); });
    bounds.extend(shape.getBounds());
  });
  map.fitBounds(bounds, { padding: [15, 15] });
})();
