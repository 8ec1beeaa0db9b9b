/* The "Notifications sur mes appareils" settings page (vvs_push): asks the browser for a
   push subscription and records it through the page's own route (session +
   X-CSRF-Token header). */
(function () {
  "use strict";

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { out[i] = raw.charCodeAt(i); }
    return out;
  }

  function deviceLabel() {
    var ua = navigator.userAgent;
    var browser = /Edg\//.test(ua) ? "Edge" : /Firefox\//.test(ua) ? "Firefox" : /Chrome\//.test(ua) ? "Chrome"
      : /Safari\//.test(ua) ? "Safari" : "Navigateur";
    var system = /Android/.test(ua) ? "Android" : /iPhone|iPad/.test(ua) ? "iPhone/iPad" : /Windows/.test(ua) ? "Windows"
      : /Mac OS X/.test(ua) ? "Mac" : /Linux/.test(ua) ? "Linux" : "appareil";
    return browser + " sur " + system;
  }

  var box = document.querySelector("[data-push-devices]");

  /* Records a subscription (PushSubscription.toJSON() shape); resolves to the API answer. */
  function save(subscription) {
    var json = typeof subscription.toJSON === "function" ? subscription.toJSON() : subscription;
    return fetch(box.getAttribute("data-api-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": box.getAttribute("data-csrf") },
      body: JSON.stringify({ endpoint: json.endpoint, keys: json.keys, label: deviceLabel() }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) { throw new Error((body.error && body.error.message) || "Enregistrement impossible."); }
        return body;
      });
    });
  }

  if (!box) { return; }
  window.vvsPush = { save: save };
  var button = box.querySelector("[data-push-subscribe]");
  var status = box.querySelector("[data-push-status]");

  function say(text) { status.textContent = text; }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    button.disabled = true;
    say("Ce navigateur ne sait pas recevoir de notifications. Installez l'application depuis Chrome, Firefox, Edge ou Safari récent.");
    return;
  }
  if (!box.getAttribute("data-vapid-key")) {
    button.disabled = true;
    say("Les notifications sur téléphone ne sont pas encore configurées sur ce serveur.");
    return;
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    say("Demande d'autorisation…");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { throw new Error("Vous avez refusé les notifications : autorisez-les dans les réglages du navigateur."); }
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      return registration.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(box.getAttribute("data-vapid-key")),
      });
    }).then(save).then(function () {
      say("Cet appareil recevra vos notifications.");
      window.location.reload();
    }).catch(function (error) {
      button.disabled = false;
      say(error && error.message ? error.message : "L'abonnement n'a pas abouti.");
    });
  });
})();
