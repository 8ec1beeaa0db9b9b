/* Boundary editor of a community (référents, and its creator while it waits for
   validation): the orange zone with its white points (vvsMap.polygonEditor). With the
   mouse or a finger: drag a point, touch the small point in the middle of an edge to
   add one, right-click (long press) a point to remove it. With the keyboard: Tab to a
   point, arrow keys move it (Shift: further), Suppr removes it; or move the map with
   its arrow keys and "Ajouter un sommet au centre de la carte"; or type the
   coordinates in the list of points. On submit the points go to the server as JSON
   [[lon, lat], …]. */
(function () {
  "use strict";
  var el = document.getElementById("boundary-editor");
  if (!el || !window.vvsMap) { return; }
  var form = document.getElementById("boundary-form");
  var input = document.getElementById("boundary-input");
  var removeBtn = document.getElementById("boundary-remove");
  var resetBtn = document.getElementById("boundary-reset");
  var addBtn = document.getElementById("boundary-add");
  var status = document.getElementById("boundary-status");
  var live = document.getElementById("boundary-live");
  var list = document.getElementById("boundary-points");
  // Numbers as the server writes them (vvs_core.web.french, Babel): "13,6".
  var oneDecimal = new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 1});
  document.getElementById("boundary-tools").hidden = false;
  document.getElementById("boundary-points-box").hidden = false;

  var saved = vvsMap.latlngs(vvsMap.data(el, "boundary", []));
  var proposed = vvsMap.data(el, "proposed", null);
  var start = proposed ? vvsMap.latlngs(proposed) : saved;

  var map = vvsMap.create(el, { keyboardPanDelta: 40 });
  // data-margin: how much of the surroundings to show around the zone (a new community's
  // page shows its neighbours; 0, the référent's, fits the zone itself).
  map.fitBounds(L.latLngBounds(start.concat(saved)).pad(Number(el.getAttribute("data-margin")) || 0),
                { padding: [30, 30] });
  el.classList.add("crosshair");
  vvsMap.communities(map, vvsMap.data(el, "neighbours", []),
                     { color: "#4b5563", weight: 1, fillColor: "#9ca3af", fillOpacity: 0.35 });

  // Area on the sphere (same order of magnitude as the server's geodesic area), for the live hint.
  function areaHa(points) {
    var R = 6378137, sum = 0, n = points.length;
    for (var i = 0; i < n; i++) {
      var a = points[i], b = points[(i + 1) % n];
      sum += (b.lng - a.lng) * Math.PI / 180 * (2 + Math.sin(a.lat * Math.PI / 180) + Math.sin(b.lat * Math.PI / 180));
    }
    return Math.abs(sum * R * R / 2) / 10000;
  }

  var editor = vvsMap.polygonEditor(map, {
    points: start,
    list: list,
    announce: vvsMap.announcer(live),
    onSelect: function (i) { removeBtn.disabled = i < 0; },
    onChange: function (points) {
      status.textContent = "Surface : " + oneDecimal.format(areaHa(points)) + " ha · " + points.length + " sommets.";
      removeBtn.disabled = editor === undefined || editor.selected() < 0;
    }
  });
  removeBtn.disabled = true;

  addBtn.addEventListener("click", function () { editor.addAtCentre(); });
  removeBtn.addEventListener("click", function () { editor.removeSelected(); removeBtn.disabled = true; });
  resetBtn.addEventListener("click", function () {
    editor.setPoints(saved);
    map.fitBounds(editor.polygon.getBounds(), { padding: [30, 30] });
    vvsMap.announcer(live)("Délimitation enregistrée rétablie.");
  });
  form.addEventListener("submit", function () { input.value = JSON.stringify(editor.outline()); });

  window.vvsBoundaryEditor = editor;
})();
