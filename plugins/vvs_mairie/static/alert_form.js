/* vvs_mairie alert form: draw the area by clicking points on the map; show only the
   fields of the chosen target. The drawn polygon is posted as GeoJSON. */
(function () {
  "use strict";
  var mapEl = document.getElementById("area-map");
  var input = document.getElementById("area");
  var count = document.getElementById("area-count");
  var form = document.getElementById("alert-form");
  if (!form) { return; }

  function syncTarget() {
    var chosen = form.querySelector("input[name=target]:checked");
    var value = chosen ? chosen.value : "";
    document.getElementById("communities-field").hidden = value !== "communities";
    document.getElementById("area-field").hidden = value !== "area";
    if (value === "area" && api) { api.map.invalidateSize(); }
  }

  var api = null;
  if (mapEl && window.L) {
    var map = window.vvsMairieMap(mapEl);
    var points = [];
    var shape = null;
    var redraw = function () {
      if (shape) { map.removeLayer(shape); shape = null; }
      if (points.length >= 2) { shape = L.polygon(points, { color: "#a4161a", weight: 2 }).addTo(map); }
      if (points.length >= 3) {
        var ring = points.map(function (p) { return [p[1], p[0]]; });
        ring.push(ring[0]);
        input.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      } else { input.value = ""; }
      count.textContent = points.length ? points.length + " sommet(s) placé(s)" : "";
    };
    api = {
      map: map,
      addPoint: function (lat, lon) { points.push([lat, lon]); redraw(); },
      clear: function () { points = []; redraw(); }
    };
    map.on("click", function (e) { api.addPoint(e.latlng.lat, e.latlng.lng); });
    document.getElementById("area-clear").addEventListener("click", api.clear);
    if (input.value) {
      try {
        JSON.parse(input.value).coordinates[0].slice(0, -1).forEach(function (c) { points.push([c[1], c[0]]); });
        redraw();
      } catch (err) { input.value = ""; }
    }
    window.vvsMairieArea = api;
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=target]"), function (r) { r.addEventListener("change", syncTarget); });
  syncTarget();
})();
