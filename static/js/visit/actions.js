/* Starting and submitting a visit: one request for a double tap, where the shopper is (when they allow it) as
   proof of visit, and a submit made offline kept on this phone until the connection returns. */
import { SUBMIT, store } from "./common.js";
import { fieldsOf } from "./net.js";
import { flush, sendLegacy } from "./sync.js";

function withLocation(form) {
  return new Promise(function (resolve) {
    var lat = form.querySelector('[data-geo="latitude"]');
    if (!lat || !navigator.geolocation || lat.value) { resolve(); return; }
    var done = false;
    var finish = function () { if (!done) { done = true; resolve(); } };
    setTimeout(finish, 4000);
    navigator.geolocation.getCurrentPosition(function (position) {
      lat.value = position.coords.latitude;
      form.querySelector('[data-geo="longitude"]').value = position.coords.longitude;
      form.querySelector('[data-geo="accuracy"]').value = Math.round(position.coords.accuracy);
      finish();
    }, finish, { enableHighAccuracy: true, timeout: 3500, maximumAge: 60000 });
  });
}

/* A start (data-start-form) or submit (data-submit-form) form: answers waiting on this phone are sent first. */
export function visitAction(form) {
  var busy = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (busy) return;                                 // a double tap sends one request
    busy = true;
    var button = form.querySelector('button[type="submit"]');
    if (button) button.setAttribute("aria-disabled", "true");
    withLocation(form).then(function () {
      if (form.hasAttribute("data-submit-form") && !navigator.onLine) {
        var visit = form.getAttribute("data-visit");
        store(SUBMIT + visit, { url: form.action, fields: fieldsOf(form), next: form.getAttribute("data-done") });
        var note = form.querySelector("[data-offline-note]");
        if (note) note.hidden = false;
        busy = false;
        if (button) button.removeAttribute("aria-disabled");
        return;
      }
      return sendLegacy().then(flush).then(function () { HTMLFormElement.prototype.submit.call(form); });
    });
  });
}
