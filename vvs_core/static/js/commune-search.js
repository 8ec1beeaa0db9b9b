// The search for a commune (vvs_core/web/templates/commune_search.pt: the sign-up's first step,
// the administration's « Nouvelle communauté »): the communes matching what is typed, shown as it is typed (the
// page itself asked again with ?q=, its list of matches put in place: the same links as the
// search button gives without JavaScript). Keyboard: ↓ from the field goes to the first
// match, ↑/↓ move between matches, Échap goes back to the field; Entrée opens a match.
(function () {
  "use strict";
  var form = document.getElementById("commune-search");
  var field = document.getElementById("commune-q");
  var results = document.getElementById("commune-results");
  if (!form || !field || !results || !window.fetch || !window.DOMParser) return;
  var timer = null, asked = field.value, latest = 0;

  function links() { return Array.prototype.slice.call(results.querySelectorAll("#commune-matches a")); }

  function search() {
    var typed = field.value.replace(/\s+/g, " ").trim();
    if (typed === asked) return;
    asked = typed;
    var mine = ++latest;
    var url = form.action + "?q=" + encodeURIComponent(typed);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}}).then(function (answer) {
      return answer.ok ? answer.text() : null;
    }).then(function (html) {
      if (html === null || mine !== latest) return;
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("commune-results");
      if (fresh) {
        results.innerHTML = fresh.innerHTML;
        if (window.history && history.replaceState) history.replaceState(null, "", url);
      }
    }).catch(function () { /* the button still searches */ });
  }

  field.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 250);
  });
  field.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) {
      event.preventDefault();
      links()[0].focus();
    }
  });
  results.addEventListener("keydown", function (event) {
    var all = links(), at = all.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = at + (event.key === "ArrowDown" ? 1 : -1);
      if (next < 0) field.focus(); else if (next < all.length) all[next].focus();
    } else if (event.key === "Escape") {
      event.preventDefault();
      field.focus();
    }
  });
})();
