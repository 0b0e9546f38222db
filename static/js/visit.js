/* Storecheck shopper pages: progressive enhancement only. Every page works without this file.
   Adds: live show_if, a stopwatch for timed questions, photo preview, autosave (to the server, and to this
   phone while offline, synced when the connection returns), offline submit, geolocation as proof of visit,
   and a service worker that keeps the visit's pages available offline. */
(function () {
  "use strict";
  var PENDING = "storecheck:pending:";   // + visit uuid + ":" + section index -> {url, fields}
  var SUBMIT = "storecheck:submit:";     // + visit uuid -> {url, fields, next}

  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function store(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; } }
  function load(key) { try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; } }
  function drop(key) { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  function keysWith(prefix) {
    var found = [];
    for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (k && k.indexOf(prefix) === 0) found.push(k); }
    return found;
  }
  function fieldsOf(form) {
    var out = [];
    new FormData(form).forEach(function (value, name) { if (typeof value === "string") out.push([name, value]); });
    return out;
  }
  function formDataOf(fields) {
    // Replayed answers carry the token of the page they were typed on; the current page's is the valid one.
    var current = document.querySelector('input[name="csrf_token"]');
    var data = new FormData();
    fields.forEach(function (f) { data.append(f[0], f[0] === "csrf_token" && current ? current.value : f[1]); });
    return data;
  }
  function isJson(response) { return (response.headers.get("Content-Type") || "").indexOf("application/json") === 0; }
  function signedOut(response) { return response.redirected && /\/login(\?|$)/.test(new URL(response.url).pathname + new URL(response.url).search); }
  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status >= 500 || response.status === 0) throw new Error("server " + response.status);
        return response;
      });
  }

  /* --- service worker ------------------------------------------------------------------------------ */
  function registerWorker(precache) {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register("/shopper/sw.js", { scope: "/shopper/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (precache && registration.active) registration.active.postMessage({ type: "precache", urls: precache });
    }).catch(function () { /* pages still work online */ });
  }
  $all("[data-signout]").forEach(function (form) {
    form.addEventListener("submit", function () { if (window.caches) caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); }); });
  });

  /* --- show_if ------------------------------------------------------------------------------------- */
  function answerValues(key) {
    return $all('[name="q-' + key + '"]').filter(function (input) {
      return (input.type === "radio" || input.type === "checkbox") ? input.checked : input.value !== "";
    }).map(function (input) { return input.value; });
  }
  function isVisible(block) {
    var key = block.getAttribute("data-show-if");
    var controller = document.getElementById("q-" + key);
    if (!controller) return !block.hidden;            // decided by the server: the question is in another section
    if (controller.hidden) return false;
    var wanted = JSON.parse(block.getAttribute("data-show-values") || "[]");
    return answerValues(key).some(function (v) { return wanted.indexOf(v) !== -1; });
  }
  function applyShowIf() {
    $all("[data-show-if]").forEach(function (block) {
      var show = isVisible(block);
      block.hidden = !show;
      var box = block.querySelector("fieldset");
      if (box) box.disabled = !show;
    });
  }

  /* --- stopwatch ----------------------------------------------------------------------------------- */
  function format(seconds) { var m = Math.floor(seconds / 60), s = seconds % 60; return m + ":" + (s < 10 ? "0" : "") + s; }
  function stopwatch(box, labels) {
    var input = box.querySelector("input");
    var started = null, timer = null;
    var toggle = document.createElement("button");
    toggle.type = "button"; toggle.className = "button stopwatch-toggle"; toggle.textContent = labels.start;
    var reset = document.createElement("button");
    reset.type = "button"; reset.className = "button stopwatch-reset"; reset.textContent = labels.reset;
    var shown = document.createElement("output");
    shown.className = "stopwatch-display"; shown.setAttribute("aria-live", "off");
    shown.textContent = input.value && /^\d+$/.test(input.value) ? format(+input.value) : "0:00";
    box.appendChild(shown); box.appendChild(toggle); box.appendChild(reset);
    function tick() { var secs = Math.round((Date.now() - started) / 1000); shown.textContent = format(secs); return secs; }
    toggle.addEventListener("click", function () {
      if (timer === null) {
        var already = /^\d+$/.test(input.value) ? +input.value : 0;
        started = Date.now() - already * 1000; timer = setInterval(tick, 250);
        toggle.textContent = labels.stop; toggle.classList.add("is-running");
      } else {
        clearInterval(timer); timer = null;
        input.value = String(tick());
        toggle.textContent = labels.start; toggle.classList.remove("is-running");
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    reset.addEventListener("click", function () {
      if (timer !== null) { clearInterval(timer); timer = null; toggle.textContent = labels.start; toggle.classList.remove("is-running"); }
      input.value = ""; shown.textContent = "0:00";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  /* --- the section form ---------------------------------------------------------------------------- */
  function restore(form, saved) {
    var byName = {};
    saved.fields.forEach(function (f) { (byName[f[0]] = byName[f[0]] || []).push(f[1]); });
    $all("input, textarea", form).forEach(function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "file") return;
      var values = byName[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) !== -1;
      else if (el.type !== "hidden" || el.name.indexOf("q-") === 0) el.value = values.length ? values[0] : "";
    });
  }

  function sectionForm(form) {
    var visit = form.getAttribute("data-visit");
    var key = PENDING + visit + ":" + form.getAttribute("data-section");
    var status = form.querySelector("[data-save-status]");
    var messages = JSON.parse(form.getAttribute("data-messages") || "{}");
    var urls = JSON.parse(form.getAttribute("data-precache") || "[]");
    var index = +form.getAttribute("data-section");
    var timer = null;
    function say(text) { if (status) status.textContent = text; }
    function keepLocally() { store(key, { url: form.action, fields: fieldsOf(form), savedAt: Date.now() }); say(messages.offline); }
    function hasFile() { return $all('input[type="file"]', form).some(function (i) { return i.files && i.files.length; }); }
    function save() {
      if (!navigator.onLine) { keepLocally(); return Promise.resolve(false); }
      var data = hasFile() ? new FormData(form) : formDataOf(fieldsOf(form));
      return post(form.action, data).then(function (response) {
        return response.json().then(function (body) {
          if (response.ok || response.status === 422) { drop(key); }
          if (body.problems && Object.keys(body.problems).length) { say(messages.problems); return false; }
          var progress = document.querySelector("[data-progress-text]");
          var bar = document.querySelector("progress");
          if (bar && typeof body.answered === "number") { bar.value = body.answered; bar.max = body.total; }
          if (progress && messages.progress && typeof body.answered === "number") progress.textContent = messages.progress.replace("%a", body.answered).replace("%t", body.total);
          $all('input[type="file"]', form).forEach(function (i) { i.value = ""; });
          say(messages.saved);
          return true;
        });
      }).catch(function () { keepLocally(); return false; });
    }

    var saved = load(key);
    if (saved) restore(form, saved);
    applyShowIf();
    form.addEventListener("change", function (event) {
      if (event.target.matches('[name^="q-"]')) applyShowIf();
      clearTimeout(timer); timer = setTimeout(save, 500);
    });
    form.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA" || event.target.type === "text") { clearTimeout(timer); timer = setTimeout(save, 1200); }
    });
    form.addEventListener("submit", function (event) {
      var go = event.submitter ? event.submitter.value : "next";
      var target = go === "prev" ? urls[Math.max(index - 1, 0)] : form.getAttribute("data-next");
      if (navigator.onLine && hasFile()) return;      // let the browser upload the photo with a normal post
      event.preventDefault();
      clearTimeout(timer);
      save().then(function (ok) {
        if (ok || !navigator.onLine || load(key)) { window.location.href = target; return; }
        // The server found a problem: post normally so it shows each one next to its question.
        var hiddenGo = document.createElement("input");
        hiddenGo.type = "hidden"; hiddenGo.name = "go"; hiddenGo.value = go; form.appendChild(hiddenGo);
        HTMLFormElement.prototype.submit.call(form);
      });
    });
    $all("[data-stopwatch]", form).forEach(function (box) { stopwatch(box, messages.stopwatch || { start: "Start", stop: "Stop", reset: "Reset" }); });
    $all("[data-photo]", form).forEach(function (box) {
      var input = box.querySelector('input[type="file"]'), img = box.querySelector("img");
      input.addEventListener("change", function () {
        if (input.files && input.files[0] && img) { img.src = URL.createObjectURL(input.files[0]); img.hidden = false; img.alt = messages.photo || ""; }
      });
    });
    registerWorker(urls);
  }

  /* --- syncing what was kept on the phone ---------------------------------------------------------- */
  function syncPending() {
    if (!navigator.onLine) return Promise.resolve();
    var chain = Promise.resolve();
    keysWith(PENDING).forEach(function (k) {
      var item = load(k);
      if (!item) return;
      chain = chain.then(function () {
        return post(item.url, formDataOf(item.fields)).then(function (response) {
          // Only the server's JSON answer means it was stored; a sign-in page means the session ended.
          if (isJson(response)) drop(k);
        });
      }).catch(function () { /* still offline: try again later */ });
    });
    return chain.then(function () {
      var submits = keysWith(SUBMIT);
      return submits.reduce(function (p, k) {
        return p.then(function () {
          var item = load(k);
          return post(item.url, formDataOf(item.fields)).then(function (response) {
            if (signedOut(response)) return;               // keep it: it is sent after signing in again
            drop(k);
            window.location.href = response.ok ? item.next : item.url.replace(/\/submit$/, "/review");
          });
        }).catch(function () { /* try again when online */ });
      }, Promise.resolve());
    });
  }
  window.addEventListener("online", function () { syncPending(); });

  /* --- start and submit: geolocation, one tap, offline submit -------------------------------------- */
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
  $all("[data-start-form], [data-submit-form]").forEach(function (form) {
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
          return;
        }
        return syncPending().then(function () { HTMLFormElement.prototype.submit.call(form); });
      });
    });
  });

  $all("[data-visit-form]").forEach(sectionForm);
  if (document.querySelector("[data-submit-form]")) registerWorker(null);
  syncPending();
})();
