/* vvs_mairie dashboard: markers for the located alerts of the list (as served, so a
   reload shows them all), then polls the activity endpoint every few seconds and adds
   new residents' alerts to the list and to the map. No library from another host. */
(function () {
  "use strict";
  var list = document.getElementById("activity");
  var mapEl = document.getElementById("mairie-map");
  if (!list) { return; }
  var map = mapEl && window.vvsMap ? window.vvsMap.communityMap(mapEl) : null;
  var seen = {};
  var status = document.getElementById("live-status");
  Array.prototype.forEach.call(list.querySelectorAll("[data-id]"), function (li) { seen[li.getAttribute("data-id")] = true; });
  var since = list.getAttribute("data-since") || "";

  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) { e.className = cls; } if (text) { e.textContent = text; } return e; }

  function render(item) {
    var li = el("li", "activity-item fresh");
    li.setAttribute("data-id", item.kind + "-" + item.id);
    li.appendChild(el("strong", "", item.title || ""));
    li.appendChild(document.createTextNode(" "));
    li.appendChild(el("span", "pill alert", item.category || ""));
    if (item.severity) { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "pill severity", "gravité : " + item.severity)); }
    if (item.state_label && item.state !== "active") { li.appendChild(document.createTextNode(" ")); li.appendChild(el("span", "pill state", item.state_label)); }
    li.appendChild(el("br"));
    // The server formats the hour in the commune's time zone (vvs.timezone): the
    // browser's own zone may differ (an agent travelling, a misconfigured PC).
    li.appendChild(el("span", "muted", item.when || ""));
    if (item.url) { var a = el("a", "", " voir"); a.href = item.url; li.appendChild(document.createTextNode(" ")); li.appendChild(a); }
    if (item.ack_url && !item.acknowledged) {
      var form = el("form", "inline"); form.method = "post"; form.action = item.ack_url;
      var token = el("input"); token.type = "hidden"; token.name = "csrf_token"; token.value = list.getAttribute("data-csrf");
      var button = el("button", "btn secondary small", "Pris en compte"); button.type = "submit";
      form.appendChild(token); form.appendChild(button);
      li.appendChild(document.createTextNode(" ")); li.appendChild(form);
    } else if (item.acknowledged) { li.appendChild(el("span", "pill ok", item.follow_up || "pris en compte")); }
    if (item.follow_url) { var f = el("a", "", "suivi et réponse"); f.href = item.follow_url; li.appendChild(document.createTextNode(" ")); li.appendChild(f); }
    return li;
  }

  var markers = 0;
  function addMarker(item) {
    var lat = parseFloat(item.lat), lon = parseFloat(item.lon);
    if (!map || isNaN(lat) || isNaN(lon)) { return; }
    L.circleMarker([lat, lon], { radius: 9, color: "#ffffff", weight: 2, fillColor: "#a4161a", fillOpacity: 0.9,
                                 className: "alert-marker" }).addTo(map).bindTooltip(window.vvsMap.text(item.title));
    markers += 1;
    if (mapEl) { mapEl.setAttribute("data-markers", String(markers)); }
  }
  // The alerts already listed (the server rendered them): their markers, after a reload too.
  Array.prototype.forEach.call(list.querySelectorAll("[data-lat]"), function (li) {
    addMarker({ lat: li.getAttribute("data-lat"), lon: li.getAttribute("data-lon"), title: li.getAttribute("data-title") });
  });

  var base = list.getAttribute("data-url");
  if (!base) { return; }  // a later page of the feed: only the first one is live
  function poll() {
    var url = base + (since ? (base.indexOf("?") < 0 ? "?" : "&") + "depuis=" + encodeURIComponent(since) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        var empty = list.querySelector(".empty");
        data.items.slice().reverse().forEach(function (item) {
          var key = item.kind + "-" + item.id;
          if (seen[key]) { return; }
          seen[key] = true;
          if (empty) { empty.remove(); empty = null; }
          list.insertBefore(render(item), list.firstChild);
          addMarker(item);
        });
        if (data.items.length) { since = data.items[0].created_at; }
        if (status) { status.textContent = "en direct"; status.classList.remove("off"); }
      })
      .catch(function () { if (status) { status.textContent = "hors ligne"; status.classList.add("off"); } });
  }
  window.setInterval(poll, 4000);
})();
