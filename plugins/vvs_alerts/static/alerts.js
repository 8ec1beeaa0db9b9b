/* Alert pages: the SMS counter under the text and the map (pick a place, or show it).
   No inline script (strict CSP): data comes from data-* attributes. */
(function () {
  "use strict";

  // The counter under the alert text asks the server what the SMS would be (the
  // same code as the real SMS: vvs_core/notify/sms.py), a moment after the resident stops typing.
  function smsCounter() {
    var box = document.querySelector("[data-sms-preview]");
    var textarea = document.querySelector("textarea[data-sms-counter]");
    var out = document.getElementById("sms-count");
    if (!box || !textarea || !out || !window.fetch) { return; }
    var category = document.querySelector("select[name=category]");
    var timer = null, asked = 0;
    textarea.parentNode.insertBefore(out, textarea.nextSibling);  // right under the text it describes
    textarea.setAttribute("aria-describedby", ((textarea.getAttribute("aria-describedby") || "") + " sms-count").trim());
    function show(answer) {
      out.textContent = "";
      out.className = "sms-count" + (answer.shortened ? " over" : "");
      if (!answer.message) { return; }
      var line = document.createElement("p");
      line.textContent = answer.message;
      var details = document.createElement("details");
      var summary = document.createElement("summary");
      summary.textContent = "Voir le SMS tel que les voisins le recevront";
      var preview = document.createElement("p");
      preview.className = "sms-preview";
      preview.textContent = answer.sms;
      details.appendChild(summary);
      details.appendChild(preview);
      out.appendChild(line);
      out.appendChild(details);
    }
    function ask() {
      var mine = ++asked;
      var body = new URLSearchParams();
      body.set("text", textarea.value);
      body.set("category", category ? category.value : "");
      var severity = document.querySelector("input[type=radio][value=severe]");
      var chosen = severity && severity.form.querySelector("input[type=radio][name='" + severity.name + "']:checked");
      body.set("severity", chosen ? chosen.value : "");
      fetch(box.getAttribute("data-sms-preview"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Accept": "application/json", "X-CSRF-Token": box.getAttribute("data-csrf") }
      }).then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) { if (answer && mine === asked) { show(answer); } })
        .catch(function () { /* offline: the counter waits for the next keystroke */ });
    }
    function later() { clearTimeout(timer); timer = setTimeout(ask, 300); }
    textarea.addEventListener("input", later);
    if (category) { category.addEventListener("change", later); }
    Array.prototype.forEach.call(document.querySelectorAll("input[type=radio][value=minor], input[type=radio][value=moderate], "
                                                           + "input[type=radio][value=severe]"),
                                 function (radio) { radio.addEventListener("change", later); });
    if (textarea.value) { ask(); }
  }

  function map() {
    var el = document.getElementById("alert-map");
    if (!el || !window.L) { return; }
    if (!window.vvsMap) { return; }
    var data = JSON.parse(el.getAttribute("data-map"));
    var m = vvsMap.create(el);
    var area = vvsMap.communities(m, {type: "FeatureCollection", features: [
      {type: "Feature", geometry: data.boundary, properties: {name: data.name}}]},
      {color: "#0b5394", weight: 2, fillOpacity: 0.08});
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

  // The reach of an alert, while its delivery runs: asked again every few seconds
  // (GET /alertes/N/portee, the same text as the page) until nothing is left to wait
  // for. Without JavaScript, the "Actualiser" link does the same by hand.
  function liveReach() {
    var out = document.getElementById("alert-reach");
    if (!out || out.getAttribute("data-done") === "1" || !window.fetch) { return; }
    var refresh = document.getElementById("alert-reach-refresh");
    var started = Date.now(), delay = 1500;
    function ask() {
      fetch(out.getAttribute("data-reach-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (answer) {
          if (answer && answer.text !== out.textContent) { out.textContent = answer.text; }
          if (answer && answer.done) {
            out.setAttribute("data-done", "1");
            if (refresh) { refresh.hidden = true; }
            return;
          }
          if (Date.now() - started < 15 * 60 * 1000) { delay = Math.min(delay * 1.3, 10000); setTimeout(ask, delay); }
        })
        .catch(function () { setTimeout(ask, 10000); });
    }
    setTimeout(ask, delay);
  }

  document.addEventListener("DOMContentLoaded", function () { smsCounter(); map(); liveReach(); });
}());
