/* Storecheck shopper pages: progressive enhancement only. Every page works without these scripts.
   This module wires the page; each idea lives in its own module under visit/:
     show-if.js      which questions show (the server's normalisation of answers, in the browser)
     stopwatch.js    the stopwatch of timed questions
     outbox.js       saves kept on this phone (IndexedDB, photos as Blobs; localStorage without photos)
     sync.js         sending what is kept, in order, and the banner counting what is waiting
     section-form.js autosave of a section, live problems and conflicts, counts
     photos.js       photo previews and the words beside them
     review.js       the review page while answers are still on this phone
     actions.js      start and submit: one tap, geolocation, offline submit
     worker.js       the service worker (sw.js) that keeps a started visit available offline
     common.js, net.js  storage keys and helpers; posting forms
   Loaded as ES modules (<script type="module">): browsers without them get the plain pages. */
import { $all } from "./visit/common.js";
import { syncPending, refreshBanner } from "./visit/sync.js";
import { sectionForm } from "./visit/section-form.js";
import { registerWorker, clearCachesOnSignOut } from "./visit/worker.js";

clearCachesOnSignOut();
window.addEventListener("online", function () { syncPending(); });
window.addEventListener("offline", function () { refreshBanner(); });
// A phone put away mid-visit may have answers waiting: they go as soon as it is looked at again.
document.addEventListener("visibilitychange", function () {
  if (document.visibilityState === "visible") syncPending();
});
// Start, submit and the review page load their modules only where those forms are: a section page (the first view
// of a visit) does without them. The service worker keeps them all for offline use.
var actionForms = $all("[data-start-form], [data-submit-form]");
var reviews = $all("[data-review]");
var wired = [];
if (actionForms.length) wired.push(import("./visit/actions.js").then(function (m) { actionForms.forEach(m.visitAction); }));
// The parts only some sections need, and the questions that need them: a section without such questions is wired
// at once and fetches none of their code (the page preloads those it has: templates/shopper/_scripts.html).
var PARTS = [
  ["photos", '[data-type="photo"]', function () { return import("./visit/photos.js"); }],
  ["stopwatch", "[data-stopwatch]", function () { return import("./visit/stopwatch.js"); }],
  ["showIf", "[data-show-if]", function () { return import("./visit/show-if.js"); }],
];
$all("[data-visit-form]").forEach(function (form) {
  var needed = PARTS.filter(function (part) { return document.querySelector(part[1]); });
  if (!needed.length) { sectionForm(form, {}); return; }
  // Should a part fail to load, the section is left as the plain form, which still saves every answer.
  wired.push(Promise.all(needed.map(function (part) { return part[2](); })).then(function (modules) {
    var parts = {};
    needed.forEach(function (part, i) { parts[part[0]] = modules[i]; });
    sectionForm(form, parts);
  }));
});
if (reviews.length) wired.push(import("./visit/review.js").then(function (m) { reviews.forEach(m.reviewPage); }));
if (!document.querySelector("[data-visit-form]") && document.querySelector("[data-submit-form], [data-offline-page]")) registerWorker(null);
// Once every form is wired the page says so (`data-scripts-ready` on <html>): a tap before then is the plain form's.
Promise.all(wired.map(function (p) { return p.catch(function () { /* the plain form still works */ }); })).then(function () {
  document.documentElement.setAttribute("data-scripts-ready", "");
  syncPending();
});
