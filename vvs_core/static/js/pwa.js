/* Registers the service worker on every page (the installable web app). */
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () { /* the site works without */ });
  }
})();
