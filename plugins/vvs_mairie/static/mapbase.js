/* vvs_mairie: a Leaflet map of the commune's communities (no tiles unless configured). */
(function () {
  "use strict";
  window.vvsMairieMap = function (element) {
    var map = L.map(element, { scrollWheelZoom: false });
    var tiles = element.getAttribute("data-tiles");
    if (tiles) { L.tileLayer(tiles, { maxZoom: 19 }).addTo(map); }
    var data = JSON.parse(element.getAttribute("data-geojson") || '{"type":"FeatureCollection","features":[]}');
    var layer = L.geoJSON(data, {
      style: function () { return { color: "#0b5394", weight: 2, fillOpacity: 0.08 }; },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); }
    }).addTo(map);
    if (data.features.length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); }
    else { map.setView([48.8453, 2.7861], 14); }
    return map;
  };
})();
