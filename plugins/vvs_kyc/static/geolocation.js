// Reads the browser's position once and posts it; the server keeps only the result.
(function () {
  "use strict";
  var button = document.getElementById("geo-start");
  if (!button) { return; }
  var form = document.getElementById("geo-form");
  var status = document.getElementById("geo-status");

  function say(text) {
    status.textContent = text;
    status.hidden = false;
  }

  button.addEventListener("click", function () {
    if (!navigator.geolocation) {
      say("Votre navigateur ne sait pas donner sa position : choisissez un autre moyen.");
      return;
    }
    button.disabled = true;
    say("Recherche de votre position…");
    navigator.geolocation.getCurrentPosition(function (position) {
      document.getElementById("geo-lon").value = position.coords.longitude;
      document.getElementById("geo-lat").value = position.coords.latitude;
      document.getElementById("geo-accuracy").value = position.coords.accuracy;
      form.submit();
    }, function (error) {
      button.disabled = false;
      say(error.code === 1
        ? "Vous avez refusé de donner votre position : autorisez-la dans votre navigateur, ou choisissez un autre moyen."
        : "Votre position n'a pas pu être trouvée : réessayez, de préférence depuis votre smartphone.");
    }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 0});
  });
}());
