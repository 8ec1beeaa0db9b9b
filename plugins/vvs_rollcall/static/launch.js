/* vvs_rollcall launch form: show only the fields of the chosen target. The area is drawn
   by the core's area field (vvs_core/static/js/area-field.js, window.vvsAreaField). */
(function () {
  "use strict";
  var form = document.getElementById("rollcall-form");
  if (!form) { return; }
  var radios = form.querySelectorAll("input[name=target]");
  if (!radios.length) { return; }  // a référent: their communities only
  function sync() {
    var chosen = form.querySelector("input[name=target]:checked");
    var value = chosen ? chosen.value : "";
    document.getElementById("communities-field").hidden = value !== "communities";
    var area = document.getElementById("area-field");
    if (area) { area.hidden = value !== "area"; }
    if (value === "area" && window.vvsAreaField) { window.vvsAreaField.show(); }
  }
  Array.prototype.forEach.call(radios, function (r) { r.addEventListener("change", sync); });
  sync();
})();
