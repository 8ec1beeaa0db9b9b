/* Maps of the sign-up and of the profile: place the home marker ("pick"), show it
   ("view"), or show the communities near the home as labelled red zones
   ("communities"). Data from data-* attributes of #signup-map (strict CSP).

   "pick": the marker starts where the address was found; when it was not found,
   there is no marker until the resident places it (a touch on the map, "Placer le
   marqueur au centre de la carte", or typed coordinates): a marker left at the
   commune's centre would put every hurried resident in the community there. */
(function () {
  "use strict";
  var el = document.getElementById("signup-map");
  if (!el || !window.vvsMap) { return; }
  var d = el.dataset;
  var centre = L.latLng(parseFloat(d.lat), parseFloat(d.lon));
  var map = vvsMap.create(el, { keyboardPanDelta: 40 }).setView(centre, parseInt(d.zoom || "16", 10));

  if (d.mode === "view") {
    L.marker(centre, { keyboard: false, title: "Mon domicile", alt: "Mon domicile" }).addTo(map);
  }

  if (d.mode === "pick") {
    var lonInput = document.getElementById(d.lonInput);
    var latInput = document.getElementById(d.latInput);
    var moved = document.getElementById(d.movedInput);
    var live = document.getElementById(d.live);
    var nudges = document.querySelectorAll("[data-nudge]");
    var tools = document.getElementById(d.tools);
    if (tools) { tools.hidden = false; }
    el.classList.add("crosshair");
    var hasStart = d.placed === "1";
    var write = function (latlng) {
      lonInput.value = latlng.lng.toFixed(6);
      latInput.value = latlng.lat.toFixed(6);
      if (moved) { moved.value = "1"; }
    };
    var enableNudges = function (on) {
      Array.prototype.forEach.call(nudges, function (b) { b.disabled = !on; });
    };
    var home = vvsMap.movableMarker(map, hasStart ? centre : null, {
      title: "Mon domicile",
      onMove: function (latlng, how) {
        write(latlng);
        enableNudges(true);
        if (live) { live.textContent = (how === "key" || how === "nudge") ? "Marqueur déplacé." : "Marqueur placé."; }
      }
    });
    enableNudges(hasStart);
    var readInputs = function () {
      var lat = vvsMap.parseCoord(latInput.value), lon = vvsMap.parseCoord(lonInput.value);
      if (lat !== null && lon !== null) {
        home.setQuietly(L.latLng(lat, lon));
        map.panTo([lat, lon]);
        if (moved) { moved.value = "1"; }
        enableNudges(true);
      }
    };
    lonInput.addEventListener("change", readInputs);
    latInput.addEventListener("change", readInputs);
    var steps = { n: [5, 0], s: [-5, 0], e: [0, 5], w: [0, -5] };
    Array.prototype.forEach.call(nudges, function (button) {
      button.addEventListener("click", function () {
        var m = steps[button.getAttribute("data-nudge")];
        home.nudge(m[0], m[1]);
      });
    });
    var centreBtn = document.getElementById(d.centreButton);
    if (centreBtn) { centreBtn.addEventListener("click", function () { home.toCentre(); }); }
  }

  if (d.mode === "communities" && d.geojson) {
    L.marker(centre, { keyboard: false, title: "Mon domicile", alt: "Mon domicile" }).addTo(map);
    fetch(d.geojson, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { features: [] }; })
      .then(function (data) {
        if (!data.features || !data.features.length) { return; }
        var layer = vvsMap.communities(map, data, { color: "#a4161a", weight: 2, fillColor: "#d62828", fillOpacity: 0.3 });
        layer.eachLayer(function (shape) {
          var p = shape.feature && shape.feature.properties;
          if (!p) { return; }
          var box = document.createElement("div");
          var strong = document.createElement("strong");
          strong.textContent = p.name;
          box.appendChild(strong);
          box.appendChild(document.createElement("br"));
          box.appendChild(document.createTextNode(p.members_label || (p.members + " membre" + (p.members > 1 ? "s" : ""))));
          shape.bindPopup(box);
        });
        map.fitBounds(layer.getBounds().extend(centre), { padding: [20, 20], maxZoom: 17 });
      });
  }
}());
