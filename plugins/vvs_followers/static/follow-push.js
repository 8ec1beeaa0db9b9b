/* The follow page (vvs_followers): the push box's "news too" box chooses where the
   subscription script records this browser (?nouvelles=1); the script itself is the
   devices page's (named by IPushDevices.subscribe_script). */
(function () {
  "use strict";
  var box = document.querySelector("[data-push-devices]");
  var news = box && box.querySelector("[data-push-news]");
  if (!news) { return; }
  var base = box.getAttribute("data-api-url").split("?")[0];
  function choose() { box.setAttribute("data-api-url", news.checked ? base + "?nouvelles=1" : base); }
  news.addEventListener("change", choose);
  choose();
})();
