/* Starting and submitting a visit: one request for a double tap, where the shopper is (when they allow it) as
   proof of visit, and a submit made offline kept on this phone until the connection returns. */
import { SUBMIT, store } from "./common.js";
import { fieldsOf } from "./net.js";
import { sendAnswers } from "./sync.js";

/* A visit made by phone or online (an unassigned start names its checklist in the form): where the phone is
   proves nothing, so it is not asked for. */
function isRemote(form) {
  var remote = form.getAttribute("data-remote-checklists");
  var chosen = form.querySelector('[name="checklist_id"]');
  return Boolean(remote && chosen && JSON.parse(remote).indexOf(Number(chosen.value)) >= 0);
}

/* Where the phone is, asked once per start or submit: shared, refused by the shopper, or unavailable (no answer in
   time, no GPS). The answer is recorded either way, and the visit never waits more than a few seconds for it. */
function withLocation(form) {
  return new Promise(function (resolve) {
    var lat = form.querySelector('[data-geo="latitude"]');
    var status = form.querySelector('[data-geo="status"]');
    var say = function (value) { if (status && !status.value) status.value = value; };
    if (!lat || lat.value || isRemote(form)) { resolve(); return; }
    if (!navigator.geolocation) { say("unavailable"); resolve(); return; }
    var done = false;
    var finish = function (value) { if (!done) { done = true; say(value); resolve(); } };
    setTimeout(function () { finish("unavailable"); }, 4000);
    navigator.geolocation.getCurrentPosition(function (position) {
      if (done) return;
      lat.value = position.coords.latitude;
      form.querySelector('[data-geo="longitude"]').value = position.coords.longitude;
      form.querySelector('[data-geo="accuracy"]').value = Math.round(position.coords.accuracy);
      finish("shared");
    }, function (error) {
      finish(error && error.code === 1 ? "refused" : "unavailable");   // 1: PERMISSION_DENIED
    }, { enableHighAccuracy: true, timeout: 3500, maximumAge: 60000 });
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
      return sendAnswers().then(function () { HTMLFormElement.prototype.submit.call(form); });
    });
  });
}
