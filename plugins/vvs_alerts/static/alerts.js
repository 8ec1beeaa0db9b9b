/* Alert pages: the SMS counter under the text and the map (pick a place, or show it).
   No inline script (strict CSP): data comes from data-* attributes. */
(function () {
  "use strict";

  function plural(n, word) { return n + " " + word + (n > 1 ? "s" : ""); }

  function smsCounter() {
    var box = document.querySelector("[data-sms-overhead]");
    var textarea = document.querySelector("textarea[data-sms-counter]");
    var out = document.getElementById("sms-count");
    if (!box || !textarea || !out || !window.vvsSmsLength) { return; }
    var overhead = parseInt(box.getAttribute("data-sms-overhead"), 10) || 0;
    var max = parseInt(box.getAttribute("data-sms-max"), 10) || 1;
    textarea.setAttribute("aria-describedby", (textarea.getAttribute("aria-describedby") || "") + " sms-count");
    function update() {
      var own = window.vvsSmsLength(textarea.value);
      // The SMS also carries the community, your name, the link and the 17 line.
      var whole = window.vvsSmsLength(textarea.value + new Array(overhead + 1).join("x"));
      var segments = whole.segments;
      out.textContent = plural(textarea.value.length, "caractère") + " · SMS : " + plural(segments, "message") +
        " (" + own.encoding + ")" + (segments > max ? " — le SMS sera raccourci, le texte complet reste sur le site." : "");
      out.className = "sms-count" + (segments > max ? " over" : "");
    }
    textarea.addEventListener("input", update);
    update();
  }

  function map() {
    var el = document.getElementById("alert-map");
    if (!el || !window.L) { return; }
    var data = JSON.parse(el.getAttribute("data-map"));
    var m = L.map(el, {attributionControl: false});
    var area = L.geoJSON(data.boundary, {style: {color: "#0b5394", weight: 2, fillOpacity: 0.08}}).addTo(m);
    m.fitBounds(area.getBounds(), {padding: [10, 10]});
    var marker = null;
    function place(latlng) {
      if (marker) { m.removeLayer(marker); }
      marker = L.circleMarker(latlng, {radius: 9, color: "#a4161a", fillOpacity: 0.7}).addTo(m);
      return marker;
    }
    if (data.place) { place([data.place[1], data.place[0]]); }
    if (el.getAttribute("data-pick") !== "1") { return; }
    var lon = document.querySelector("input[name=lon]");
    var lat = document.querySelector("input[name=lat]");
    if (lon && lat && lon.value && lat.value) { place([parseFloat(lat.value), parseFloat(lon.value)]); }
    m.on("click", function (e) {
      place(e.latlng).on("click", function () {
        m.removeLayer(marker); marker = null; lon.value = ""; lat.value = "";
      });
      lon.value = e.latlng.lng.toFixed(6);
      lat.value = e.latlng.lat.toFixed(6);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { smsCounter(); map(); });
}());
