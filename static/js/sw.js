/* Storecheck service worker: keeps a started visit's pages available when the connection drops.
   Pages and photo thumbnails: network first, the last copy when offline. Static files: cache first, refreshed
   in the background. */
"use strict";
var PAGES = "storecheck-pages-v1";
var STATIC = "storecheck-static-v12";    // a new name whenever the files below change: installed together, in step
var OFFLINE = "/shopper/__offline__";  // the offline page in the shopper's language, written by the pages
// visit.js and every module it imports (templates/shopper/_scripts.html loads the same list).
var MODULES = ["common", "net", "outbox", "sync", "send", "show-if", "stopwatch", "photos", "section-form", "review",
               "actions", "worker"];
var ASSETS = ["/static/css/app.css", "/static/js/visit.js", "/static/icons/favicon.svg"].concat(
  MODULES.map(function (name) { return "/static/js/visit/" + name + ".js"; }));

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(ASSETS); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k !== PAGES && k !== STATIC; }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

function escape(text) {
  return String(text || "").replace(/[&<>"']/g, function (c) { return "&#" + c.charCodeAt(0) + ";"; });
}
function offlinePage(lang, page) {
  return "<!doctype html><html lang=\"" + escape(lang) + "\"><meta charset=utf-8>" +
    "<meta name=viewport content=\"width=device-width, initial-scale=1\">" +
    "<link rel=stylesheet href=\"/static/css/app.css\"><title>" + escape(page.title) + "</title>" +
    "<main class=\"page page-narrow\"><h1>" + escape(page.title) + "</h1><p>" + escape(page.text) + "</p>" +
    "<p><a class=\"button\" href=\"/shopper/\">" + escape(page.back) + "</a></p></main></html>";
}
// Before any page has told the worker the shopper's language, the offline page speaks both.
var BOTH = offlinePage("en", {
  title: "You are offline · オフラインです",
  text: "This page was not saved on this phone yet. Go back to your visit. · このページはまだこの端末に保存されていません。調査のページに戻ってください。",
  back: "My visits · 自分の調査"
});

self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type === "offline-page" && data.page && data.page.text) {
    event.waitUntil(caches.open(PAGES).then(function (cache) {
      return cache.put(OFFLINE, new Response(offlinePage(data.lang || "en", data.page),
        { headers: { "Content-Type": "text/html; charset=utf-8" } }));
    }));
    return;
  }
  if (data.type !== "precache" || !Array.isArray(data.urls)) return;
  event.waitUntil(caches.open(PAGES).then(function (cache) {
    return Promise.all(data.urls.map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (response) {
        if (response.ok && !response.redirected) return cache.put(url, response);
      }).catch(function () { /* offline already: keep what we have */ });
    }));
  }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(STATIC).then(function (cache) {
      return cache.match(request).then(function (hit) {
        var fresh = fetch(request).then(function (response) { if (response.ok) cache.put(request, response.clone()); return response; });
        return hit || fresh;
      });
    }));
    return;
  }
  if (/^\/photos\/\d+\/thumb\.jpg$/.test(url.pathname)) {
    // A photo's thumbnail on a visit's page: the last copy this phone was shown, when offline (never the
    // full-size photo; signing out empties these caches).
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (cache) { return cache.match(url.pathname); }).then(function (hit) {
        return hit || Response.error();
      });
    }));
    return;
  }
  if (url.pathname.indexOf("/shopper/") === 0 && request.mode === "navigate") {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(PAGES).then(function (cache) { cache.put(url.pathname, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGES).then(function (cache) {
        return cache.match(url.pathname).then(function (hit) {
          return hit || cache.match(OFFLINE).then(function (page) { return page ? page.text() : BOTH; }).then(function (html) {
            return new Response(html, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
          });
        });
      });
    }));
  }
});
