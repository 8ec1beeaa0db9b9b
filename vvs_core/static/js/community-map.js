/* Map of a community's boundary (read-only), its name as a label; neighbours in grey.
   data-boundary = [[lon, lat], …]; data-name; data-neighbours = [{name, outline}]. */
(function () {
  "use strict";
  var el = document.getElementById("community-map");
  if (!el || !window.vvsMap) { return; }
  var map = vvsMap.create(el);
  vvsMap.communities(map, vvsMap.data(el, "neighbours", []), { color: "#4b5563", weight: 1, fillOpacity: 0.15 });
  var zone = vvsMap.communities(map, [{ name: el.getAttribute("data-name"), outline: vvsMap.data(el, "boundary", []) }],
                                { color: "#d9480f", weight: 3, fillOpacity: 0.2 });
  map.fitBounds(zone.getBounds(), { padding: [20, 20] });
})();
