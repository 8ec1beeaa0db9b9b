/* Behaviours of every page (no inline script: strict CSP).
   - The header menu collapses behind a "Menu" button on a phone. Without JavaScript
     the button stays hidden and the menu is simply listed.
   - A page that comes back with form errors moves the focus to its error summary
     (built here for forms that have none), so that a screen reader reads it first,
     and ties each error to its field (aria-invalid, aria-describedby). */
(function () {
  "use strict";

  function menu() {
    var button = document.getElementById("menu-toggle");
    var nav = document.getElementById("menu-principal");
    if (!button || !nav) { return; }
    var header = button.closest(".site-header");
    header.classList.add("js-menu");
    button.hidden = false;
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      header.classList.toggle("menu-open", open);
    }
    button.addEventListener("click", function () { set(button.getAttribute("aria-expanded") !== "true"); });
    document.addEventListener("keydown", function (ev) {
      if ((ev.key === "Escape" || ev.key === "Esc") && button.getAttribute("aria-expanded") === "true") {
        set(false);
        button.focus();
      }
    });
  }

  function describe(field, id) {
    var ids = (field.getAttribute("aria-describedby") || "").split(/\s+/).filter(Boolean);
    if (ids.indexOf(id) < 0) { ids.push(id); }
    field.setAttribute("aria-describedby", ids.join(" "));
  }

  function fieldFor(error) {
    // A message whose control is no form field (a map) names it: data-field="<id>".
    var named = error.getAttribute("data-field") && document.getElementById(error.getAttribute("data-field"));
    if (named) { return named; }
    var id = error.id || "";
    if (id.indexOf("error-") === 0) {  // deform: error-<oid> next to the field <oid>
      var byId = document.getElementById(id.replace(/^error-/, "").replace(/-\d+$/, ""));
      if (byId) { return byId; }
    }
    // The field just before the message (a form without one box per field: label, field, message, label…).
    var fields = "input:not([type=hidden]), select, textarea";
    function first(field) {  // a group of radio buttons is reached by its first button
      var group = field.type === "radio" && field.closest("fieldset");
      return group ? group.querySelector(fields) : field;
    }
    for (var prev = error.previousElementSibling; prev; prev = prev.previousElementSibling) {
      if (prev.matches(fields)) { return first(prev); }
      var inside = prev.querySelectorAll(fields);
      if (inside.length) { return first(inside[inside.length - 1]); }
      if (prev.matches(".error, .invalid-feedback")) { break; }  // the message of the field before
    }
    var box = error.closest("fieldset, .form-group, .mb-3, div, p") || error.parentNode;
    var scope = box;
    while (scope && scope !== document.body) {
      var f = scope.querySelector("input:not([type=hidden]), select, textarea");
      if (f) { return f; }
      scope = scope.parentNode;
    }
    return null;
  }

  function labelOf(field) {
    var legend = field.closest("fieldset") && field.closest("fieldset").querySelector("legend");
    if (field.type === "radio" || field.type === "checkbox") {
      if (legend) { return legend.textContent.trim(); }
    }
    if (field.id) {
      var label = document.querySelector("label[for='" + field.id + "']");
      if (label) { return label.textContent.trim(); }
    }
    var wrapping = field.closest("label");  // <label><input type=checkbox> text</label>
    if (wrapping) { return wrapping.textContent.trim(); }
    return legend ? legend.textContent.trim() : "";
  }

  function errors() {
    var main = document.getElementById("contenu");
    if (!main) { return; }
    var found = main.querySelectorAll("form .invalid-feedback, form .error, form p.error");
    var items = [];
    Array.prototype.forEach.call(found, function (error, i) {
      if (!error.textContent.trim() || error.closest(".error-summary")) { return; }
      if (!error.id) { error.id = "erreur-" + (i + 1); }
      var field = fieldFor(error);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        describe(field, error.id);
      }
      items.push({ error: error, field: field });
    });
    var summary = main.querySelector(".error-summary");
    if (!summary && items.length) {
      summary = document.createElement("div");
      summary.className = "error-summary flash flash-error";
      summary.setAttribute("role", "alert");
      var title = document.createElement("p");
      var strong = document.createElement("strong");
      strong.textContent = items.length > 1 ? "Le formulaire contient " + items.length + " erreurs, à corriger dans ces champs :"
                                            : "Le formulaire contient une erreur, à corriger dans ce champ :";
      title.appendChild(strong);
      summary.appendChild(title);
      var ul = document.createElement("ul");
      items.forEach(function (item) {
        var li = document.createElement("li");
        var a = document.createElement("a");
        // The field's name only: its message is read with the field (aria-describedby).
        var name = item.field ? labelOf(item.field) : "";
        a.textContent = name || item.error.textContent.trim();
        a.href = "#" + (item.field && item.field.id ? item.field.id : item.error.id);
        li.appendChild(a);
        ul.appendChild(li);
      });
      summary.appendChild(ul);
      var h1 = main.querySelector("h1");
      if (h1 && h1.parentNode) { h1.parentNode.insertBefore(summary, h1.nextSibling); }
      else { main.insertBefore(summary, main.firstChild); }
    }
    if (!summary) {
      summary = main.querySelector(".flash-error[role=alert]");
      if (!summary || !main.querySelector("form")) { return; }
    }
    summary.setAttribute("tabindex", "-1");
    summary.focus();
    Array.prototype.forEach.call(summary.querySelectorAll("a[href^='#']"), function (a) {
      a.addEventListener("click", function (ev) {
        var target = document.getElementById(a.getAttribute("href").slice(1));
        if (target) { ev.preventDefault(); target.focus(); }
      });
    });
  }

  /* A table wider than the screen scrolls sideways inside its frame: the frame then takes
     the keyboard's focus (arrows scroll it) and is named after the table (RGAA 7.3, axe
     scrollable-region-focusable). */
  function scrollableTables() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap"), function (wrap) {
      if (wrap.scrollWidth <= wrap.clientWidth || wrap.hasAttribute("tabindex")) { return; }
      var caption = wrap.querySelector("caption");
      var heading = wrap.previousElementSibling;
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", (caption && caption.textContent.trim()) ||
        (heading && /^H[1-6]$/.test(heading.tagName) && heading.textContent.trim()) || "Tableau");
    });
  }

  menu();
  errors();
  scrollableTables();
}());
