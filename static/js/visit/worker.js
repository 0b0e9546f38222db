/* The service worker that keeps a started visit's pages (and these files) on this phone for offline use. */
import { $all, messagesOf } from "./common.js";

/* Registers the worker, tells it the offline page in the shopper's language, and asks it to keep `precache`. */
export function registerWorker(precache) {
  if (!("serviceWorker" in navigator)) return;
  var offline = messagesOf(document.querySelector("[data-offline-page]"));
  navigator.serviceWorker.register("/shopper/sw.js", { scope: "/shopper/" }).then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (registration) {
    if (!registration.active) return;
    if (offline.text) registration.active.postMessage({ type: "offline-page", lang: document.documentElement.lang, page: offline });
    if (precache) registration.active.postMessage({ type: "precache", urls: precache });
  }).catch(function () { /* pages still work online */ });
}
/* The kept copies of these pages fetched again, so that they show what the server now holds. */
export function recache(urls) {
  if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "precache", urls: urls });
}
/* Signing out forgets every kept page. */
export function clearCachesOnSignOut() {
  $all("[data-signout]").forEach(function (form) {
    form.addEventListener("submit", function () { if (window.caches) caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); }); });
  });
}
