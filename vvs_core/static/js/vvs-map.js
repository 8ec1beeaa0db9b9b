/* The one map set-up of vvs, shared by every map of the core and of the plugins
   (sign-up, community, delimitation, and the plugins' maps):

   - vvsMap.create(element, options): a Leaflet map with the tile layers of the
     settings (read from <meta name="vvs-map-layers"> of the layout), a Plan/Satellite
     switch when both are set, French zoom buttons, a metric scale. No tile URL: the
     plain background of .map, nothing fetched from another host.
   - vvsMap.communities(map, items, style): community polygons, each labelled with
     its name (items: [{name, outline: [[lon, lat], …]}] or a GeoJSON FeatureCollection
     whose features have properties.name).
   - vvsMap.movableMarker / vvsMap.polygonEditor: a point and a polygon that can be
     placed with a mouse, a finger, or the keyboard alone (arrow keys on a focused
     point, "add a point at the centre of the map", typed coordinates).

   Strict CSP: no inline script; pages pass their data in data-* attributes. */
(function () {
  "use strict";
  if (!window.L) { return; }

  var STEP_M = 5;          // one arrow key press moves a point about 5 m (Shift: 25 m)
  var layersCache = null;

  function configuredLayers() {
    if (layersCache === null) {
      var meta = document.querySelector("meta[name=vvs-map-layers]");
      try { layersCache = meta ? JSON.parse(meta.getAttribute("content") || "[]") : []; }
      catch (err) { layersCache = []; }
    }
    return layersCache;
  }

  function data(el, name, fallback) {
    var raw = el.getAttribute("data-" + name);
    if (raw === null || raw === "") { return fallback; }
    try { return JSON.parse(raw); } catch (err) { return fallback; }
  }

  function latlngs(outline) { return outline.map(function (p) { return L.latLng(p[1], p[0]); }); }

  function toOutline(points) {
    return points.map(function (p) { return [Math.round(p.lng * 1e7) / 1e7, Math.round(p.lat * 1e7) / 1e7]; });
  }

  /* A row of two buttons, "Plan" and "Satellite", with aria-pressed: simpler to reach
     and to understand than a menu that opens on hover. */
  var LayerSwitch = L.Control.extend({
    options: { position: "topright" },
    initialize: function (layers, options) {
      L.setOptions(this, options);
      this._layers = layers;
    },
    onAdd: function (map) {
      var box = L.DomUtil.create("div", "leaflet-bar vvs-layer-switch");
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Fond de carte");
      var buttons = [];
      var self = this;
      this._layers.forEach(function (entry, i) {
        var b = L.DomUtil.create("button", "", box);
        b.type = "button";
        b.textContent = entry.label;
        b.setAttribute("aria-pressed", i === 0 ? "true" : "false");
        L.DomEvent.disableClickPropagation(b);
        L.DomEvent.on(b, "click", function () {
          self._layers.forEach(function (other, j) {
            if (j === i) { other.layer.addTo(map); } else { map.removeLayer(other.layer); }
            buttons[j].setAttribute("aria-pressed", j === i ? "true" : "false");
          });
        });
        buttons.push(b);
      });
      return box;
    }
  });

  function create(el, options) {
    options = options || {};
    var map = L.map(el, L.extend({ scrollWheelZoom: false, zoomControl: false, maxZoom: 19 }, options));
    L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" lang="en">Leaflet</a>');
    var layers = configuredLayers().map(function (spec) {
      return { label: spec.label, key: spec.key,
               layer: L.tileLayer(spec.url, { attribution: spec.attribution || "", maxZoom: spec.maxZoom || 19,
                                              maxNativeZoom: spec.maxZoom || 19 }) };
    });
    if (layers.length) { layers[0].layer.addTo(map); }
    if (layers.length > 1) { new LayerSwitch(layers).addTo(map); }
    L.control.scale({ imperial: false }).addTo(map);
    el.classList.add(layers.length ? "with-tiles" : "without-tiles");
    return map;
  }

  /* Leaflet takes a string tooltip or popup as HTML: names and titles typed by people
     (a community, an alert) go in as text, never as markup. */
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value === null || value === undefined ? "" : String(value);
    return span;
  }

  function label(layer, name) {
    if (name) {
      layer.bindTooltip(text(name), { permanent: true, direction: "center", className: "map-label", opacity: 1 });
    }
    return layer;
  }

  /* Labels that never pile up: after each move, zoom or resize, the labels are placed
     largest community first, each at its community's centre or just above or below; a
     label is shown only if it fits in the map, covers
     neither a control (zoom buttons, scale…) nor a label already shown, and either
     few communities are in view (FEW) or its community is at least half its size on
     the screen (a name over a speck would hide its neighbours). The others get the
     class map-label-off: such a name shows while its community is hovered, and stays
     after a tap or a click (until another one). The groups of communities of one map
     share the placing, the last drawn first (a page's own zone before its
     neighbours). The pages give the same names as text beside their maps (RGAA: a
     map's information as text). */
  var FEW = 12;
  function declutter(map, group) {
    var groups = map._vvsLabelGroups = map._vvsLabelGroups || [];
    function tip(layer) { var t = layer.getTooltip && layer.getTooltip(); return t && t.getElement() ? t : null; }
    function show(layer, on) {
      var t = tip(layer), area = layer.getElement && layer.getElement();
      if (t) { t.getElement().classList.toggle("map-label-on", on); }
      if (area) { area.classList.toggle("map-area-on", on); }
    }
    function apart(box, others) {
      return others.every(function (o) {
        return box.right <= o.left || box.left >= o.right || box.bottom <= o.top || box.top >= o.bottom;
      });
    }
    function place() {
      if (!map._loaded) { return; }  // no view yet: placed on the first move
      var size = map.getSize(), view = map.getBounds(), labelled = [];
      var origin = map.getContainer().getBoundingClientRect();
      var shown = Array.prototype.map.call(map.getContainer().querySelectorAll(".leaflet-control"), function (c) {
        var r = c.getBoundingClientRect();
        return { left: r.left - origin.left, right: r.right - origin.left, top: r.top - origin.top, bottom: r.bottom - origin.top };
      });
      groups.forEach(function (g, rank) { g.getLayers().filter(tip).forEach(function (layer) {
        var b = layer.getBounds ? layer.getBounds() : null, w = 0, h = 0;
        if (b && b.isValid()) {
          if (!view.intersects(b)) { return tip(layer).getElement().classList.add("map-label-off"); }
          var a = map.latLngToContainerPoint(b.getNorthWest()), c = map.latLngToContainerPoint(b.getSouthEast());
          w = Math.abs(c.x - a.x); h = Math.abs(c.y - a.y);
        }
        labelled.push({ layer: layer, rank: rank, w: w, h: h });
      }); });
      var few = labelled.length <= FEW;
      labelled.sort(function (x, y) { return y.rank - x.rank || y.w * y.h - x.w * x.h; });
      labelled.forEach(function (item) {
        var t = tip(item.layer), node = t.getElement();
        var at = map.latLngToContainerPoint(t.getLatLng());
        var w = node.offsetWidth / 2 + 2, h = node.offsetHeight / 2 + 2;
        var big = few || (item.w >= w && item.h >= h);
        // At the community's centre, else just above or below it (still over the community).
        var shift = [0].concat([-2 * h, 2 * h].filter(function (dy) { return Math.abs(dy) < item.h / 2; }));
        var ok = false, dy = 0;
        for (var i = 0; i < shift.length && !ok; i++) {
          dy = shift[i];
          var box = { left: at.x - w, right: at.x + w, top: at.y + dy - h, bottom: at.y + dy + h };
          // A map created hidden has no size yet: nothing is measured, all stay shown.
          ok = size.x === 0 || (big && box.left >= 0 && box.right <= size.x && box.top >= 0 &&
                                box.bottom <= size.y && apart(box, shown));
        }
        if (ok) { shown.push(box); } else { dy = 0; }
        if (L.point(t.options.offset).y !== dy) { t.options.offset = L.point(0, dy); t.update(); }
        node.classList.toggle("map-label-off", !ok);
      });
      // For the browser tests: the zoom level the labels were last placed for.
      map.getContainer().setAttribute("data-labels-zoom", String(map.getZoom()));
    }
    group.eachLayer(function (layer) {
      layer.on("mouseover", function () { show(layer, true); });
      layer.on("mouseout", function () { if (map._vvsPinned !== layer) { show(layer, false); } });
      layer.on("click", function () {
        var pinned = map._vvsPinned;
        if (pinned && pinned !== layer) { show(pinned, false); }
        map._vvsPinned = pinned === layer ? null : layer;
        show(layer, map._vvsPinned === layer);
      });
    });
    groups.push(group);
    if (groups.length === 1) { map.on("moveend resize viewreset", place); }
    place();
    group.declutter = place;
    return group;
  }

  function communities(map, items, style) {
    var group = L.featureGroup();
    if (items && items.type === "FeatureCollection") {
      L.geoJSON(items, {
        style: function () { return style; },
        onEachFeature: function (feature, layer) { label(layer, feature.properties && feature.properties.name); }
      }).eachLayer(function (layer) { group.addLayer(layer); });
    } else {
      (items || []).forEach(function (item) {
        group.addLayer(label(L.polygon(latlngs(item.outline), style), item.name));
      });
    }
    return declutter(map, group.addTo(map));
  }

  /* A map of the communities given as GeoJSON in data-geojson (labelled), fitted to
     them, else centred on data-centre = [lon, lat]. */
  function communityMap(el, style, options) {
    var map = create(el, options);
    var layer = communities(map, data(el, "geojson", { type: "FeatureCollection", features: [] }),
                            style || { color: "#0b5394", weight: 2, fillOpacity: 0.08 });
    var centre = data(el, "centre", null);
    // Called again by a page that shows a map created hidden (its size was zero).
    map.fitCommunities = function () {
      map.invalidateSize();
      if (layer.getLayers().length) { map.fitBounds(layer.getBounds(), { padding: [10, 10] }); layer.declutter(); }
      else if (centre) { map.setView([centre[1], centre[0]], 14); }
      else { map.fitWorld(); }
    };
    map.fitCommunities();
    return map;
  }

  /* (lat, lng) moved by (north, east) metres. */
  function offset(p, north, east) {
    var dLat = north / 111320;
    var dLng = east / (111320 * Math.cos(p.lat * Math.PI / 180));
    return L.latLng(p.lat + dLat, p.lng + dLng);
  }

  var ARROWS = { ArrowUp: [1, 0], ArrowDown: [-1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1],
                 Up: [1, 0], Down: [-1, 0], Left: [0, -1], Right: [0, 1] };

  /* Arrow keys on a focused marker move it (Shift: five times further). */
  function arrowMoves(marker, onMove) {
    var node = marker.getElement();
    if (!node) { return; }
    node.addEventListener("keydown", function (ev) {
      var d = ARROWS[ev.key];
      if (!d || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
      ev.preventDefault();
      ev.stopPropagation();
      var k = ev.shiftKey ? 5 : 1;
      var to = offset(marker.getLatLng(), d[0] * STEP_M * k, d[1] * STEP_M * k);
      marker.setLatLng(to);
      onMove(to, "key");
    });
  }

  function named(marker, name) {
    var node = marker.getElement();
    if (node) { node.setAttribute("aria-label", name); }
    return marker;
  }

  /* The marker of a home (sign-up, profile): dragged, put where the map is touched,
     moved with the arrow keys, or put at the centre of the map. ``onMove(latlng)``
     is told of every change. ``latlng`` may be null: the resident places it. */
  function movableMarker(map, latlng, options) {
    options = options || {};
    var name = options.title || "Marqueur";
    var marker = null;
    var onMove = options.onMove || function () {};
    function make(at) {
      marker = L.marker(at, { draggable: true, keyboard: true, title: name, alt: name, autoPanOnFocus: false }).addTo(map);
      named(marker, name + " : flèches du clavier pour le déplacer");
      marker.on("dragend", function () { onMove(marker.getLatLng(), "drag"); });
      arrowMoves(marker, onMove);
    }
    function moveTo(at, how) {
      if (marker === null) { make(at); } else { marker.setLatLng(at); }
      onMove(marker.getLatLng(), how);
    }
    if (latlng) { make(latlng); }
    if (options.clickToPlace !== false) {
      map.on("click", function (e) { moveTo(e.latlng, "click"); });
    }
    return {
      get: function () { return marker ? marker.getLatLng() : null; },
      moveTo: moveTo,
      setQuietly: function (at) { if (marker === null) { make(at); } else { marker.setLatLng(at); } },
      nudge: function (north, east) {
        if (marker === null) { return false; }
        moveTo(offset(marker.getLatLng(), north, east), "nudge");
        map.panTo(marker.getLatLng());
        return true;
      },
      toCentre: function () { moveTo(map.getCenter(), "centre"); }
    };
  }

  /* Where a new point best goes in a closed ring: on the edge it lengthens least. */
  function insertionIndex(points, p) {
    if (points.length < 3) { return points.length; }
    var best = points.length, bestCost = Infinity;
    for (var i = 0; i < points.length; i++) {
      var a = points[i], b = points[(i + 1) % points.length];
      var cost = a.distanceTo(p) + p.distanceTo(b) - a.distanceTo(b);
      if (cost < bestCost) { bestCost = cost; best = i + 1; }
    }
    return best;
  }

  var coordFormat = new Intl.NumberFormat("fr-FR", {minimumFractionDigits: 6, maximumFractionDigits: 6, useGrouping: false});
  function coordText(n) { return coordFormat.format(n); }
  function parseCoord(text) {
    var v = parseFloat(String(text).trim().replace(",", "."));
    return isNaN(v) ? null : v;
  }

  /* A polygon edited with the mouse, a finger or the keyboard.
     options: points ([L.LatLng]), minVertices (3), style, clickToAdd (a click on the
     map adds a point), list (an element: one row per vertex with its typed
     coordinates and a "Retirer" button), announce (function(text) for a live region),
     onChange (function(points)). Returns an object to drive it. */
  function polygonEditor(map, options) {
    var points = (options.points || []).slice();
    var min = options.minVertices || 3;
    var selected = -1;
    var polygon = L.polygon([], options.style || { color: "#d9480f", weight: 3, fillColor: "#f08c00", fillOpacity: 0.25 }).addTo(map);
    var handles = L.layerGroup().addTo(map);
    var vertexMarkers = [];
    var announce = options.announce || function () {};
    var onChange = options.onChange || function () {};
    var list = options.list || null;

    function vertexIcon(i) {
      return L.divIcon({ className: "vertex" + (i === selected ? " selected" : ""), iconSize: [20, 20] });
    }
    var midIcon = L.divIcon({ className: "vertex-mid", iconSize: [14, 14] });

    function changed(structural) {
      polygon.setLatLngs(points);
      if (structural) { drawHandles(); renderList(); } else { updateHandles(); updateList(); }
      onChange(points.slice());
    }

    function drawHandles() {
      handles.clearLayers();
      vertexMarkers = [];
      points.forEach(function (p, i) {
        var name = "Sommet " + (i + 1);
        var m = L.marker(p, { draggable: true, icon: vertexIcon(i), keyboard: true, title: name, autoPanOnFocus: false }).addTo(handles);
        named(m, name + " : flèches pour le déplacer, Suppr pour le retirer");
        m.on("drag", function (e) { points[i] = e.target.getLatLng(); polygon.setLatLngs(points); updateList(); });
        m.on("dragend", function () { select(i); changed(false); });
        m.on("click", function () { select(i); });
        m.on("contextmenu", function (e) { L.DomEvent.preventDefault(e.originalEvent || e); removeAt(i); });
        arrowMoves(m, function (to) {
          points[i] = to;
          selected = i;
          changed(false);
          announce(name + " déplacé.");
        });
        var node = m.getElement();
        if (node) {
          node.addEventListener("focus", function () { select(i); });
          node.addEventListener("keydown", function (ev) {
            if (ev.key === "Delete" || ev.key === "Backspace") {
              ev.preventDefault();
              ev.stopPropagation();
              removeAt(i);
            }
          });
        }
        vertexMarkers.push(m);
        if (points.length >= 2 && (i < points.length - 1 || points.length >= 3)) {
          var next = points[(i + 1) % points.length];
          var mid = L.latLng((p.lat + next.lat) / 2, (p.lng + next.lng) / 2);
          // For the mouse and fingers; the keyboard inserts with "add at the centre".
          L.marker(mid, { icon: midIcon, keyboard: false, title: "Ajouter un sommet ici" }).addTo(handles)
            .on("click", function () { insertAt(i + 1, mid); });
        }
      });
    }

    function updateHandles() {
      vertexMarkers.forEach(function (m, i) {
        m.setLatLng(points[i]);
        var node = m.getElement();
        if (node) { node.classList.toggle("selected", i === selected); }
      });
      // midpoints follow on the next structural redraw; keep them right now too
      var mids = handles.getLayers().filter(function (l) { return vertexMarkers.indexOf(l) < 0; });
      mids.forEach(function (l, k) {
        var a = points[k], b = points[(k + 1) % points.length];
        if (a && b) { l.setLatLng(L.latLng((a.lat + b.lat) / 2, (a.lng + b.lng) / 2)); }
      });
      refocus();
    }

    function refocus() {
      if (selected < 0 || !vertexMarkers[selected]) { return; }
      var node = vertexMarkers[selected].getElement();
      if (node && document.activeElement && document.activeElement.classList &&
          document.activeElement.classList.contains("vertex") && document.activeElement !== node) {
        node.focus();
      }
    }

    function select(i) {
      if (selected === i) { return; }
      selected = i;
      vertexMarkers.forEach(function (m, j) {
        var node = m.getElement();
        if (node) { node.classList.toggle("selected", j === i); }
      });
      if (options.onSelect) { options.onSelect(i); }
    }

    function insertAt(index, p) {
      points.splice(index, 0, L.latLng(p.lat, p.lng));
      selected = index;
      changed(true);
      announce("Sommet " + (index + 1) + " ajouté · " + points.length + " sommets.");
      return index;
    }

    function removeAt(i) {
      if (points.length <= min && options.keepMinimum !== false) {
        announce("La zone garde au moins " + min + " sommets.");
        return false;
      }
      points.splice(i, 1);
      selected = -1;
      changed(true);
      announce("Sommet " + (i + 1) + " retiré · " + points.length + " sommets.");
      return true;
    }

    function row(i) {
      var li = document.createElement("li");
      var n = i + 1;
      var fields = [["lat", "Latitude"], ["lng", "Longitude"]];
      var title = document.createElement("span");
      title.className = "vertex-name";
      title.textContent = "Sommet " + n;
      li.appendChild(title);
      fields.forEach(function (f) {
        var id = (list.id || "sommets") + "-" + n + "-" + f[0];
        var lab = document.createElement("label");
        lab.htmlFor = id;
        lab.textContent = f[1] + " du sommet " + n;
        var input = document.createElement("input");
        input.type = "text";
        input.id = id;
        input.setAttribute("inputmode", "decimal");
        input.setAttribute("autocomplete", "off");
        input.dataset.index = String(i);
        input.dataset.axis = f[0];
        input.value = coordText(points[i][f[0]]);
        input.addEventListener("change", function () {
          var v = parseCoord(input.value);
          var limit = f[0] === "lat" ? 90 : 180;
          if (v === null || Math.abs(v) > limit) {
            announce(f[1] + " du sommet " + n + " illisible : nombre décimal attendu.");
            input.value = coordText(points[i][f[0]]);
            return;
          }
          var p = points[i];
          points[i] = f[0] === "lat" ? L.latLng(v, p.lng) : L.latLng(p.lat, v);
          selected = i;
          changed(false);
          announce("Sommet " + n + " déplacé.");
        });
        lab.appendChild(input);
        li.appendChild(lab);
      });
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "btn secondary small";
      remove.textContent = "Retirer";
      remove.setAttribute("aria-label", "Retirer le sommet " + n);
      remove.addEventListener("click", function () {
        if (removeAt(i)) {
          var next = list.querySelector("button");
          (next || list).focus();
        }
      });
      li.appendChild(remove);
      return li;
    }

    function renderList() {
      if (!list) { return; }
      list.textContent = "";
      points.forEach(function (p, i) { list.appendChild(row(i)); });
    }

    function updateList() {
      if (!list) { return; }
      Array.prototype.forEach.call(list.querySelectorAll("input[data-index]"), function (input) {
        var p = points[parseInt(input.dataset.index, 10)];
        if (p && document.activeElement !== input) { input.value = coordText(p[input.dataset.axis]); }
      });
    }

    if (options.clickToAdd) {
      map.on("click", function (e) { insertAt(insertionIndex(points, e.latlng), e.latlng); });
    }

    changed(true);
    return {
      map: map,
      polygon: polygon,
      points: function () { return points.slice(); },
      selected: function () { return selected; },
      setPoints: function (next) { points = next.map(function (p) { return L.latLng(p.lat, p.lng); }); selected = -1; changed(true); },
      addPoint: function (lat, lng) { var p = L.latLng(lat, lng); return insertAt(insertionIndex(points, p), p); },
      addAtCentre: function () { var c = map.getCenter(); return insertAt(insertionIndex(points, c), c); },
      removeSelected: function () { return selected >= 0 ? removeAt(selected) : false; },
      clear: function () { points = []; selected = -1; changed(true); announce("Zone effacée."); },
      outline: function () { return toOutline(points); },
      focusVertex: function (i) {
        var m = vertexMarkers[i];
        if (m && m.getElement()) { m.getElement().focus(); }
      }
    };
  }

  /* A live region next to a map: what changed, said to screen readers. */
  function announcer(el) {
    return function (text) { if (el) { el.textContent = text; } };
  }

  window.vvsMap = {
    create: create,
    data: data,
    latlngs: latlngs,
    toOutline: toOutline,
    label: label,
    text: text,
    communities: communities,
    communityMap: communityMap,
    offset: offset,
    movableMarker: movableMarker,
    polygonEditor: polygonEditor,
    insertionIndex: insertionIndex,
    announcer: announcer,
    coordText: coordText,
    parseCoord: parseCoord
  };
}());
