/* vvs_rollcall live page: a marker per person with a home on the map (colour and tooltip
   say their state; the table says the same in text), then polls the state every 5 s and
   updates the counts, the progress bar, the states in the table and the markers. */
(function () {
  "use strict";
  var box = document.getElementById("rollcall-progress");
  var mapEl = document.getElementById("rollcall-map");
  if (!box) { return; }
  var COLOURS = { help: "#a4161a", unreachable: "#8a5a00", waiting: "#adb5bd", safe: "#1b5e20" };
  var map = mapEl && window.vvsMap ? window.vvsMap.communityMap(mapEl) : null;
  var markers = {};
  var fitted = false;

  function draw(people) {
    if (!map) { return; }
    var n = 0;
    people.forEach(function (p) {
      if (p.lat === null || p.lon === null) { return; }
      var style = { radius: 7, color: "#ffffff", weight: 2, fillColor: COLOURS[p.state], fillOpacity: 0.95 };
      var tip = p.name + " : " + p.state_label;
      if (markers[p.id]) { markers[p.id].setStyle(style); markers[p.id].setTooltipContent(window.vvsMap.text(tip)); }
      else { markers[p.id] = L.circleMarker([p.lat, p.lon], style).addTo(map).bindTooltip(window.vvsMap.text(tip)); }
      n += 1;
    });
    mapEl.setAttribute("data-markers", String(n));
    if (!fitted && n) {
      fitted = true;
      map.fitBounds(L.featureGroup(Object.keys(markers).map(function (k) { return markers[k]; })).getBounds(),
                    { padding: [30, 30], maxZoom: 17 });
    }
  }

  function text(id, value) { var e = document.getElementById(id); if (e) { e.textContent = String(value); } }

  function update(data) {
    var c = data.counts;
    var bar = document.getElementById("progress-bar");
    bar.max = c.total || 1; bar.value = c.answered; bar.textContent = c.percent + " %";
    var strong = document.createElement("strong"); strong.textContent = c.answered + " / " + c.total;
    var line = document.getElementById("progress-text");
    line.textContent = ""; line.appendChild(strong);
    line.appendChild(document.createTextNode(" ont répondu (" + c.percent + " %)."));
    ["help", "unreachable", "waiting", "safe"].forEach(function (k) { text("count-" + k, c[k]); });
    data.people.forEach(function (p) {
      var row = document.getElementById("personne-" + p.id);
      if (!row || row.classList.contains("state-" + p.state)) { return; }
      row.className = "person state-" + p.state;
      var pill = row.querySelector(".pill");
      if (pill) { pill.className = "pill state-" + p.state; pill.textContent = p.state_label; }
    });
    draw(data.people);
  }

  try { draw(JSON.parse(mapEl.getAttribute("data-people") || "[]")); } catch (e) { /* the table shows them */ }
  if (!box.getAttribute("data-open")) { return; }
  var status = document.getElementById("live-status");
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { update(data); if (status) { status.textContent = "en direct"; } })
      .catch(function () { if (status) { status.textContent = "hors ligne"; } });
  }
  window.setInterval(poll, 5000);
})();
