/* The area drawn on the map (vvs_core/geo/templates/area_field.pt, read by vvs_core.geo.areas):
   a polygon editor (vvsMap.polygonEditor) whose polygon is posted as GeoJSON in #area.
   Mouse or finger: touch the map to add a point, drag a point, touch the small point
   between two to insert one. Keyboard: move the map with its arrow keys until the
   round mark in its centre is on the place, then "Ajouter un sommet au centre de la
   carte"; a point reached with Tab moves with the arrow keys, Suppr removes it; the
   list of points takes typed coordinates. Exposed as window.vvsAreaField
   ({map, editor, addPoint, clear, show}) for the page's own script. */
(function () {
  "use strict";
  var mapEl = document.getElementById("area-map");
  var input = document.getElementById("area");
  var count = document.getElementById("area-count");
  if (!mapEl || !input || !window.vvsMap) { return; }

  var map = vvsMap.communityMap(mapEl, null, { keyboardPanDelta: 60 });
  mapEl.classList.add("crosshair");
  document.getElementById("area-tools").hidden = false;
  document.getElementById("area-points-box").hidden = false;
  var removeBtn = document.getElementById("area-remove");
  var start = [];
  if (input.value) {
    try {
      start = JSON.parse(input.value).coordinates[0].slice(0, -1).map(function (c) { return L.latLng(c[1], c[0]); });
    } catch (err) { input.value = ""; }
  }
  var editor = vvsMap.polygonEditor(map, {
    points: start,
    minVertices: 3,
    keepMinimum: false,
    clickToAdd: true,
    style: { color: "#a4161a", weight: 2, fillOpacity: 0.15 },
    list: document.getElementById("area-points"),
    announce: vvsMap.announcer(document.getElementById("area-live")),
    onSelect: function (i) { removeBtn.disabled = i < 0; },
    onChange: function (points) {
      if (points.length >= 3) {
        var ring = points.map(function (p) { return [Math.round(p.lng * 1e7) / 1e7, Math.round(p.lat * 1e7) / 1e7]; });
        ring.push(ring[0]);
        input.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      } else { input.value = ""; }
      count.textContent = points.length ? points.length + (points.length > 1 ? " sommets placés" : " sommet placé") +
        (points.length < 3 ? " (au moins 3 pour une zone)" : "") : "";
    }
  });
  var api = {
    map: map,
    editor: editor,
    addPoint: function (lat, lon) { editor.addPoint(lat, lon); },
    clear: function () { editor.clear(); },
    /* Called when the field becomes visible: Leaflet measures its box again. */
    show: function () {
      if (editor.points().length) { map.invalidateSize(); } else { map.fitCommunities(); }
    }
  };
  document.getElementById("area-add").addEventListener("click", function () { editor.addAtCentre(); });
  removeBtn.addEventListener("click", function () { editor.removeSelected(); removeBtn.disabled = true; });
  document.getElementById("area-clear").addEventListener("click", api.clear);
  if (start.length) { map.fitBounds(editor.polygon.getBounds(), { padding: [20, 20] }); }
  window.vvsAreaField = api;
})();
