/* Boundary editor for référents: a Leaflet polygon whose vertices are draggable white
   points. Click the small point in the middle of an edge to add a vertex; right-click
   (long press on a phone) a vertex, or select it and press the button, to remove it;
   arrow keys move the selected vertex; "Recommencer la délimitation" restores the
   saved outline. On submit the vertices go to the server as JSON [[lon, lat], …]. */
(function () {
  "use strict";
  var el = document.getElementById("boundary-editor");
  if (!el || !window.L) { return; }
  var form = document.getElementById("boundary-form");
  var input = document.getElementById("boundary-input");
  var removeBtn = document.getElementById("boundary-remove");
  var resetBtn = document.getElementById("boundary-reset");
  var status = document.getElementById("boundary-status");
  var MIN_VERTICES = 3;
  var STEP = 0.00005; // about 5 m: one arrow key press

  function toLatLngs(outline) { return outline.map(function (p) { return L.latLng(p[1], p[0]); }); }
  var saved = toLatLngs(JSON.parse(el.dataset.boundary));
  var start = el.dataset.proposed ? toLatLngs(JSON.parse(el.dataset.proposed)) : saved;

  var map = L.map(el);
  if (el.dataset.tileUrl) {
    L.tileLayer(el.dataset.tileUrl, { attribution: el.dataset.attribution || "", maxZoom: 19 }).addTo(map);
  }
  JSON.parse(el.dataset.neighbours || "[]").forEach(function (n) {
    L.polygon(toLatLngs(n.outline), { color: "#4b5563", weight: 1, fillColor: "#9ca3af", fillOpacity: 0.35, interactive: true })
      .bindTooltip(n.name).addTo(map);
  });

  var points = [];
  var selected = -1;
  var polygon = L.polygon([], { color: "#d9480f", weight: 3, fillColor: "#f08c00", fillOpacity: 0.25 }).addTo(map);
  var handles = L.layerGroup().addTo(map);

  function vertexIcon(index) {
    return L.divIcon({ className: "vertex" + (index === selected ? " selected" : ""), iconSize: [18, 18] });
  }
  var midIcon = L.divIcon({ className: "vertex-mid", iconSize: [12, 12] });

  // Area on the sphere (same order of magnitude as the server's geodesic area), for the live hint.
  function areaHa(latlngs) {
    var R = 6378137, sum = 0, n = latlngs.length;
    for (var i = 0; i < n; i++) {
      var a = latlngs[i], b = latlngs[(i + 1) % n];
      sum += (b.lng - a.lng) * Math.PI / 180 * (2 + Math.sin(a.lat * Math.PI / 180) + Math.sin(b.lat * Math.PI / 180));
    }
    return Math.abs(sum * R * R / 2) / 10000;
  }

  function select(index) {
    selected = index;
    removeBtn.disabled = index < 0 || points.length <= MIN_VERTICES;
    draw();
  }

  function draw() {
    polygon.setLatLngs(points);
    handles.clearLayers();
    points.forEach(function (p, i) {
      var m = L.marker(p, { draggable: true, icon: vertexIcon(i), keyboard: true, title: "Sommet " + (i + 1),
                            alt: "Sommet " + (i + 1) }).addTo(handles);
      m.on("drag", function (e) { points[i] = e.target.getLatLng(); polygon.setLatLngs(points); });
      m.on("dragend", function () { select(i); });
      m.on("click", function () { select(i); });
      m.on("contextmenu", function (e) { L.DomEvent.preventDefault(e.originalEvent || e); removeAt(i); });
      var node = m.getElement();
      if (node) {
        node.addEventListener("focus", function () { if (selected !== i) { selected = i; removeBtn.disabled = points.length <= MIN_VERTICES; } });
        node.addEventListener("keydown", function (ev) { moveWithKeys(ev, i); });
      }
      var next = points[(i + 1) % points.length];
      var mid = L.latLng((p.lat + next.lat) / 2, (p.lng + next.lng) / 2);
      L.marker(mid, { icon: midIcon, title: "Ajouter un sommet ici", alt: "Ajouter un sommet" }).addTo(handles)
        .on("click", function () { points.splice(i + 1, 0, mid); select(i + 1); });
    });
    status.textContent = "Surface : " + areaHa(points).toFixed(1) + " ha · " + points.length + " sommets.";
  }

  function moveWithKeys(ev, i) {
    var d = { ArrowUp: [STEP, 0], ArrowDown: [-STEP, 0], ArrowLeft: [0, -STEP * 1.5], ArrowRight: [0, STEP * 1.5] }[ev.key];
    if (ev.key === "Delete" || ev.key === "Backspace") { ev.preventDefault(); removeAt(i); return; }
    if (!d) { return; }
    ev.preventDefault();
    points[i] = L.latLng(points[i].lat + d[0], points[i].lng + d[1]);
    selected = i;
    draw();
    var node = handles.getLayers()[2 * i].getElement();
    if (node) { node.focus(); }
  }

  function removeAt(i) {
    if (points.length <= MIN_VERTICES) {
      status.textContent = "Une délimitation garde au moins " + MIN_VERTICES + " sommets.";
      return;
    }
    points.splice(i, 1);
    select(-1);
  }

  removeBtn.addEventListener("click", function () { if (selected >= 0) { removeAt(selected); } });
  resetBtn.addEventListener("click", function () {
    points = saved.map(function (p) { return L.latLng(p.lat, p.lng); });
    select(-1);
    map.fitBounds(polygon.getBounds(), { padding: [30, 30] });
  });
  form.addEventListener("submit", function () {
    input.value = JSON.stringify(points.map(function (p) {
      return [Math.round(p.lng * 1e7) / 1e7, Math.round(p.lat * 1e7) / 1e7];
    }));
  });

  points = start.map(function (p) { return L.latLng(p.lat, p.lng); });
  select(-1);
  map.fitBounds(L.latLngBounds(points.concat(saved)), { padding: [30, 30] });
})();
