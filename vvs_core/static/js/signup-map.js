/* Maps of the sign-up: place the home marker ("pick"), show it ("view"), or show
   the communities near the home as red zones ("communities").
   Everything comes from data-* attributes of #signup-map (strict CSP: no inline script). */
(function () {
  "use strict";
  var el = document.getElementById("signup-map");
  if (!el || typeof L === "undefined") { return; }
  var d = el.dataset;
  var home = L.latLng(parseFloat(d.lat), parseFloat(d.lon));
  var map = L.map(el, { scrollWheelZoom: false }).setView(home, parseInt(d.zoom || "16", 10));
  if (d.tiles) {
    L.tileLayer(d.tiles, { maxZoom: 19, attribution: d.attribution || "" }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  var draggable = d.mode === "pick";
  var marker = L.marker(home, { draggable: draggable, keyboard: true, title: "Mon domicile", alt: "Mon domicile" }).addTo(map);

  if (draggable) {
    var lonInput = document.getElementById(d.lonInput);
    var latInput = document.getElementById(d.latInput);
    var write = function (latlng) {
      lonInput.value = latlng.lng.toFixed(6);
      latInput.value = latlng.lat.toFixed(6);
    };
    var moveTo = function (latlng) { marker.setLatLng(latlng); write(latlng); };
    marker.on("dragend", function () { write(marker.getLatLng()); });
    map.on("click", function (e) { moveTo(e.latlng); });
    var readInputs = function () {
      var lat = parseFloat(latInput.value), lon = parseFloat(lonInput.value);
      if (!isNaN(lat) && !isNaN(lon)) { marker.setLatLng([lat, lon]); map.panTo([lat, lon]); }
    };
    lonInput.addEventListener("change", readInputs);
    latInput.addEventListener("change", readInputs);
    // About 5 metres per press, so the marker can be placed with the keyboard alone.
    var step = 0.000045;
    document.querySelectorAll("[data-nudge]").forEach(function (button) {
      button.addEventListener("click", function () {
        var p = marker.getLatLng();
        var k = Math.cos(p.lat * Math.PI / 180);
        var moves = { n: [step, 0], s: [-step, 0], e: [0, step / k], w: [0, -step / k] };
        var m = moves[button.dataset.nudge];
        moveTo(L.latLng(p.lat + m[0], p.lng + m[1]));
        map.panTo(marker.getLatLng());
      });
    });
  }

  if (d.mode === "communities" && d.geojson) {
    fetch(d.geojson, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        if (!data.features || !data.features.length) { return; }
        var layer = L.geoJSON(data, {
          style: { color: "#a4161a", weight: 2, fillColor: "#d62828", fillOpacity: 0.3 },
          onEachFeature: function (feature, shape) {
            var p = feature.properties;
            var box = document.createElement("div");
            var strong = document.createElement("strong");
            strong.textContent = p.name;
            box.appendChild(strong);
            box.appendChild(document.createElement("br"));
            box.appendChild(document.createTextNode(p.members + " membre(s)"));
            shape.bindPopup(box);
          }
        }).addTo(map);
        map.fitBounds(layer.getBounds().extend(home), { padding: [20, 20], maxZoom: 17 });
      });
  }
}());
