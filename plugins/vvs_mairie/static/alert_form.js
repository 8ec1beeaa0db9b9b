/* vvs_mairie alert form: show only the fields of the chosen target. The area itself is
   drawn by the core's area field (vvs_core/static/js/area-field.js, window.vvsAreaField),
   loaded before this script. */
(function () {
  "use strict";
  var form = document.getElementById("alert-form");
  if (!form) { return; }
  var api = window.vvsAreaField || null;
  window.vvsMairieArea = api;

  function syncTarget() {
    var chosen = form.querySelector("input[name=target]:checked");
    var value = chosen ? chosen.value : "";
    document.getElementById("communities-field").hidden = value !== "communities";
    document.getElementById("area-field").hidden = value !== "area";
    if (value === "area" && api) { api.show(); }
  }
  Array.prototype.forEach.call(form.querySelectorAll("input[name=target]"), function (r) { r.addEventListener("change", syncTarget); });
  syncTarget();
})();
