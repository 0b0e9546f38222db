/* Storecheck shopper pages: progressive enhancement only. Every page works without this file.
   Adds: live show_if, a stopwatch that keeps running when the page is left, photo preview, autosave through an
   outbox kept on this phone (IndexedDB, photos as Blobs) that is sent as soon as there is a connection, a banner
   counting what is waiting, offline submit, geolocation as proof of visit, and a service worker that keeps the
   visit's pages available offline.

   A save posts the whole section with the base tokens the page was rendered with (b-KEY, bc-KEY): the server
   stores only what this page changed and reports a conflict when another screen changed it meanwhile. A photo is
   sent only as a newly picked file; nothing else ever changes a photo answer. */
(function () {
  "use strict";
  var SUBMIT = "storecheck:submit:";     // + visit uuid -> {url, fields, next}
  var COUNT = "storecheck:count:";       // + visit uuid + ":" + section -> {answered, total} shown while waiting
  var WATCH = "storecheck:watch:";       // + visit uuid + ":" + question key -> when the running stopwatch started
  var CONFLICT = "storecheck:conflict:"; // + visit uuid + ":" + section -> {key: text} until that section is shown
  var SENT = "storecheck:sent:";         // + visit uuid, for one page load: the review reloaded after sending
  var LEGACY = "storecheck:pending:";    // saves kept by an older version of this file: sent once, then dropped

  function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
  function store(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; } }
  function load(key) { try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; } }
  function drop(key) { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }
  function keysWith(prefix) {
    var found = [];
    try {
      for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (k && k.indexOf(prefix) === 0) found.push(k); }
    } catch (e) { /* no storage */ }
    return found;
  }
  function messagesOf(el) { try { return JSON.parse((el && el.getAttribute("data-messages")) || "{}"); } catch (e) { return {}; } }
  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
  }
  function fieldsOf(form) {
    var out = [];
    new FormData(form).forEach(function (value, name) { if (typeof value === "string") out.push([name, value]); });
    return out;
  }
  function csrfNow() { var el = document.querySelector('input[name="csrf_token"]'); return el ? el.value : null; }
  function formDataOf(fields, files) {
    // Kept answers carry the token of the page they were typed on; the current page's is the valid one.
    var current = csrfNow();
    var data = new FormData();
    fields.forEach(function (f) { data.append(f[0], f[0] === "csrf_token" && current ? current : f[1]); });
    Object.keys(files || {}).forEach(function (name) { data.append(name, files[name].blob, files[name].filename || "photo.jpg"); });
    return data;
  }
  function isJson(response) { return (response.headers.get("Content-Type") || "").indexOf("application/json") === 0; }
  function signedOut(response) { return response.redirected && /\/login$/.test(new URL(response.url).pathname); }
  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status >= 500 || response.status === 0) throw new Error("server " + response.status);
        return response;
      });
  }
  var visitMeta = document.querySelector('meta[name="storecheck-visit"]');
  var pageVisit = visitMeta ? visitMeta.getAttribute("content") : null;

  /* --- the outbox: section saves waiting to be sent, kept in IndexedDB (with photos) or localStorage ---- */
  // An entry is one section of one visit: {id, visit, section, url, fields, files, changed, answered, rev, at}.
  // A newer save of the same section replaces its fields (the base tokens stay those of the page it was typed
  // on) and adds its photos, so a replay sends each section once.
  var outbox = (function () {
    var LS = "storecheck:outbox:";
    var opened = null;
    function idb() {
      if (opened) return opened;
      opened = new Promise(function (resolve) {
        if (!window.indexedDB) { resolve(null); return; }
        var request;
        try { request = indexedDB.open("storecheck", 1); } catch (e) { resolve(null); return; }
        request.onupgradeneeded = function () { request.result.createObjectStore("outbox", { keyPath: "id" }); };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { resolve(null); };
        request.onblocked = function () { resolve(null); };
      });
      return opened;
    }
    function run(mode, work) {
      return idb().then(function (db) {
        if (!db) return null;
        return new Promise(function (resolve, reject) {
          var tx = db.transaction("outbox", mode), result;
          var req = work(tx.objectStore("outbox"));
          if (req) req.onsuccess = function () { result = req.result; };
          tx.oncomplete = function () { resolve(result === undefined ? true : result); };
          tx.onerror = tx.onabort = function () { reject(tx.error || new Error("outbox")); };
        });
      });
    }
    function lsAll() { return keysWith(LS).map(load).filter(Boolean); }
    return {
      /* Every waiting entry, oldest first. */
      all: function () {
        return run("readonly", function (os) { return os.getAll(); }).then(function (rows) {
          return (rows === null ? lsAll() : rows).sort(function (a, b) { return a.at - b.at; });
        }).catch(function () { return lsAll(); });
      },
      get: function (id) {
        return run("readonly", function (os) { return os.get(id); }).then(function (row) {
          return row === null ? load(LS + id) : (row === true ? null : row);
        });
      },
      /* Resolves when kept; rejects when this phone cannot keep it (no storage, full, photos without IndexedDB). */
      put: function (entry) {
        return run("readwrite", function (os) { return os.put(entry); }).then(function (done) {
          if (done !== null) return true;
          if (Object.keys(entry.files || {}).length) throw new Error("nofiles");
          var copy = Object.assign({}, entry, { files: {} });
          if (!store(LS + entry.id, copy)) throw new Error("quota");
          return true;
        });
      },
      /* Drops an entry that was sent, unless it changed while it was on its way (then it is sent again). */
      sent: function (id, rev, bases, commentBases, conflicts, changed) {
        return this.get(id).then(function (entry) {
          if (!entry) return;
          if (entry.rev === rev) {
            return run("readwrite", function (os) { return os.delete(id); }).then(function (done) { if (done === null) drop(LS + id); });
          }
          // Changed meanwhile: what was sent is now stored, so its newer fields build on the new tokens.
          entry.fields = entry.fields.map(function (f) {
            var m = /^(b|bc)-(.+)$/.exec(f[0]);
            if (!m || (conflicts && m[2] in conflicts) || (changed || []).indexOf(m[2]) === -1) return f;
            var fresh = (m[1] === "b" ? bases : commentBases) || {};
            return m[2] in fresh ? [f[0], fresh[m[2]]] : f;
          });
          return outbox.put(entry);
        });
      },
      remove: function (id) {
        return run("readwrite", function (os) { return os.delete(id); }).then(function (done) { if (done === null) drop(LS + id); });
      }
    };
  })();

  /* --- the banner: what is waiting on this phone -------------------------------------------------------- */
  var banner = document.querySelector("[data-sync-banner]");
  var bannerText = messagesOf(banner);
  var sentThisPage = false;
  var hadWaiting = false;   // answers waited on this phone while this page was open (or when it opened)
  var problemsElsewhere = null;
  function waitingCount(entries) {
    var keys = {};
    entries.forEach(function (e) { (e.changed || []).forEach(function (k) { keys[e.visit + ":" + k] = true; }); });
    return Object.keys(keys).length;
  }
  function showBanner(entries) {
    if (!banner) return;
    var mine = entries.filter(function (e) { return !pageVisit || e.visit === pageVisit; });
    var n = waitingCount(mine);
    var text = "", kind = "";
    if (n > 0 && !navigator.onLine) hadWaiting = true;
    if (n > 0) {
      text = fill(n === 1 ? bannerText.one : bannerText.other, { n: n });
      if (navigator.onLine) text += " " + (bannerText.sending || "");
      kind = "waiting";
    } else if (!navigator.onLine) {
      text = bannerText.offline; kind = "waiting";
    } else if (problemsElsewhere) {
      text = problemsElsewhere; kind = "problem";
    } else {
      var elsewhere = keysWith(CONFLICT + (pageVisit || "")).map(function (k) { return +k.split(":").pop() + 1; })
        .sort(function (a, b) { return a - b; });
      if (elsewhere.length) { text = fill(bannerText.conflicts, { s: elsewhere.join(", ") }); kind = "problem"; }
      // "All sent" closes a time offline (or answers found waiting), not every save made online.
      if (sentThisPage && hadWaiting) { text = bannerText.sent + (text ? " " + text : ""); kind = kind || "sent"; }
    }
    banner.hidden = !text;
    banner.textContent = text;
    banner.className = "sync-banner" + (kind ? " sync-" + kind : "");
  }
  function refreshBanner() { return outbox.all().then(function (entries) { showBanner(entries); return entries; }); }

  /* --- sending the outbox --------------------------------------------------------------------------------- */
  var listeners = [];   // page parts told about each answer: function (entry, body)
  var flushing = null, again = false, flushedOnce = false;
  function flush() {
    if (flushing) { again = true; return flushing; }
    flushing = sendAll().then(function (result) {
      flushing = null;
      if (again) { again = false; return flush(); }
      return result;
    }, function () { flushing = null; });
    return flushing;
  }
  function sendAll() {
    var sent = 0;
    if (!navigator.onLine) return refreshBanner().then(function () { return { sent: 0 }; });
    return outbox.all().then(function (entries) {
      if (entries.some(function (e) { return !pageVisit || e.visit === pageVisit; }) && !flushedOnce) hadWaiting = true;
      flushedOnce = true;
      showBanner(entries);
      return entries.reduce(function (chain, entry) {
        return chain.then(function (go) {
          if (!go) return false;
          return post(entry.url, formDataOf(entry.fields, entry.files)).then(function (response) {
            if (signedOut(response)) return false;                        // keep it: sent after signing in again
            if (!isJson(response)) {
              if (response.status === 403 || response.status === 404) return outbox.remove(entry.id).then(function () { return true; });
              return false;                                               // e.g. an expired form: try again later
            }
            return response.json().then(function (body) {
              sent += 1;
              if (!body.bases) {                                          // the visit can no longer change
                problemsElsewhere = body.message || null;
                return outbox.remove(entry.id).then(function () { return true; });
              }
              drop(COUNT + entry.visit + ":" + entry.section);
              // Kept until the section is on screen, which shows each conflict beside its question.
              if (Object.keys(body.conflicts || {}).length) store(CONFLICT + entry.id, body.conflicts);
              return outbox.sent(entry.id, entry.rev, body.bases, body.comment_bases, body.conflicts, entry.changed).then(function () {
                listeners.forEach(function (listen) { listen(entry, body); });
                return true;
              });
            });
          }, function () { return false; });                             // the connection dropped: later
        });
      }, Promise.resolve(true));
    }).then(function () {
      if (sent) sentThisPage = true;
      return refreshBanner().then(function (left) { return { sent: sent, left: left }; });
    });
  }

  /* --- service worker ------------------------------------------------------------------------------------ */
  function registerWorker(precache) {
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
  function recache(urls) {
    if (navigator.serviceWorker && navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "precache", urls: urls });
  }
  $all("[data-signout]").forEach(function (form) {
    form.addEventListener("submit", function () { if (window.caches) caches.keys().then(function (keys) { keys.forEach(function (k) { caches.delete(k); }); }); });
  });

  /* --- show_if --------------------------------------------------------------------------------------------- */
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

  /* --- stopwatch: its start time is kept on this phone, so it runs on while the page is left -------------- */
  function format(seconds) { var m = Math.floor(seconds / 60), s = seconds % 60; return m + ":" + (s < 10 ? "0" : "") + s; }
  function stopwatch(box, labels, visit, key) {
    var input = box.querySelector("input");
    var memo = WATCH + visit + ":" + key;
    var started = null, timer = null;
    var toggle = document.createElement("button");
    toggle.type = "button"; toggle.className = "button stopwatch-toggle"; toggle.textContent = labels.start;
    var reset = document.createElement("button");
    reset.type = "button"; reset.className = "button stopwatch-reset"; reset.textContent = labels.reset;
    var shown = document.createElement("output");
    shown.className = "stopwatch-display"; shown.setAttribute("aria-live", "off");
    shown.textContent = input.value && /^\d+$/.test(input.value) ? format(+input.value) : "0:00";
    box.appendChild(shown); box.appendChild(toggle); box.appendChild(reset);
    function tick() { var secs = Math.max(0, Math.round((Date.now() - started) / 1000)); shown.textContent = format(secs); return secs; }
    function run(from) {
      started = from; timer = setInterval(tick, 250); tick();
      toggle.textContent = labels.stop; toggle.classList.add("is-running");
      box.setAttribute("data-running", "");
    }
    function halt() {
      clearInterval(timer); timer = null; drop(memo);
      toggle.textContent = labels.start; toggle.classList.remove("is-running");
      box.removeAttribute("data-running");
    }
    var kept = load(memo);
    if (typeof kept === "number" && kept <= Date.now()) run(kept);
    toggle.addEventListener("click", function () {
      if (timer === null) {
        var already = /^\d+$/.test(input.value) ? +input.value : 0;
        var from = Date.now() - already * 1000;
        store(memo, from);
        run(from);
      } else {
        var secs = tick();
        halt();
        input.value = String(secs);
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
    reset.addEventListener("click", function () {
      if (timer !== null) halt();
      input.value = ""; shown.textContent = "0:00";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  /* --- the section form -------------------------------------------------------------------------------- */
  function sectionForm(form) {
    var visit = form.getAttribute("data-visit");
    var index = +form.getAttribute("data-section");
    var id = visit + ":" + index;
    var status = form.querySelector("[data-save-status]");
    var messages = messagesOf(form);
    var urls = JSON.parse(form.getAttribute("data-precache") || "[]");
    var blocks = {};
    $all(".question[data-key]", form).forEach(function (b) { blocks[b.getAttribute("data-key")] = b; });
    var keys = Object.keys(blocks);
    var baseline = {}, commentBaseline = {};   // what the server holds (as far as this page knows)
    var picked = {};                            // photo key -> File picked and not yet handed to the outbox
    var timer = null;
    function say(text) { if (status) status.textContent = text || ""; }
    function named(name) { return form.querySelector('[name="' + name + '"]'); }
    function isPhoto(key) { return blocks[key].getAttribute("data-type") === "photo"; }
    function signature(key) {
      var parts = [];
      $all('[name="q-' + key + '"], [name="na-' + key + '"], [name="remove-' + key + '"]', blocks[key]).forEach(function (el) {
        if (isPhoto(key) && el.name.indexOf("q-") === 0) return;
        if (el.type === "radio" || el.type === "checkbox") { if (el.checked) parts.push(el.name + "=" + el.value); }
        else if (el.value !== "") parts.push(el.name + "=" + el.value);
      });
      return parts.sort().join("&");
    }
    function commentOf(key) { var c = named("c-" + key); return c ? c.value : ""; }
    function remember() { keys.forEach(function (k) { baseline[k] = signature(k); commentBaseline[k] = commentOf(k); }); }
    function changedKeys() {
      return keys.filter(function (k) { return picked[k] || signature(k) !== baseline[k] || commentOf(k) !== commentBaseline[k]; });
    }
    function isAnswered(key) {
      if (!isPhoto(key)) return signature(key) !== "";
      var na = named("na-" + key), remove = named("remove-" + key);
      if (na && na.checked) return true;
      if (remove && remove.checked && !picked[key]) return false;
      var img = blocks[key].querySelector(".photo-preview");
      return !!img && !img.hidden && img.getAttribute("data-state") !== "failed";
    }
    function liveCount() {
      var visible = keys.filter(function (k) { return !blocks[k].hidden; });
      return { answered: visible.filter(isAnswered).map(String), total: visible.length };
    }
    function payloadFields() {
      return fieldsOf(form).filter(function (f) {
        var m = /^q-(.+)$/.exec(f[0]);
        return !(m && blocks[m[1]] && isPhoto(m[1]));   // a photo answer changes only by a new file, remove or N/A
      });
    }
    function photoState(key, text, failed) {
      var el = blocks[key] && blocks[key].querySelector("[data-photo-state]");
      if (el) { el.textContent = text || ""; el.classList.toggle("is-error", !!failed); }
    }
    function setProblem(key, text, kind) {
      var block = blocks[key];
      if (!block) return;
      var cls = kind === "conflict" ? "conflict" : "field-error";
      var el = block.querySelector("[data-live-" + kind + "]");
      if (!text) {
        if (el) el.remove();
        // A problem the server showed when the page was rendered is gone too once a save has none for it.
        var rendered = kind === "error" && block.querySelector(".field-error:not([data-live-error])");
        if (rendered) { rendered.remove(); block.querySelector("fieldset").removeAttribute("aria-describedby"); }
        block.classList.remove(kind === "conflict" ? "has-conflict" : "has-error");
        return;
      }
      if (!el) {
        el = document.createElement("p");
        el.className = cls; el.setAttribute("data-live-" + kind, ""); el.setAttribute("role", "alert");
        el.id = (kind === "conflict" ? "conflict-" : "err-live-") + key;
        var legend = block.querySelector("legend");
        var after = block.querySelector(".help") || legend;
        after.parentNode.insertBefore(el, after.nextSibling);
      }
      el.textContent = text;
      block.classList.add(kind === "conflict" ? "has-conflict" : "has-error");
    }
    function setValue(key, value) {
      var values = value === null || value === undefined ? [] : (Array.isArray(value) ? value.map(String) : [String(value)]);
      var na = values.indexOf("__na__") !== -1;
      $all('[name="q-' + key + '"]', blocks[key]).forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) !== -1;
        else if (!isPhoto(key)) el.value = na ? "" : (values[0] || "");
      });
      var naBox = named("na-" + key);
      if (naBox) naBox.checked = na;
      var out = blocks[key].querySelector(".stopwatch-display");
      if (out) out.textContent = !na && values[0] && /^\d+$/.test(values[0]) ? format(+values[0]) : "0:00";
    }
    function showPhoto(key, photo) {
      var img = blocks[key].querySelector(".photo-preview");
      var label = blocks[key].querySelector(".photo-button");
      if (!img) return;
      var remove = blocks[key].querySelector("[data-photo-remove]");
      if (photo) {
        if (img.getAttribute("src") !== photo.thumb_url) img.src = photo.thumb_url;
        img.hidden = false; img.alt = messages.photo || ""; img.removeAttribute("data-state");
        if (label && messages.retake) label.textContent = messages.retake;
      } else {
        img.removeAttribute("src"); img.hidden = true; img.alt = "";
        if (label && messages.take) label.textContent = messages.take;
      }
      if (remove) {
        // What is removed is gone: the box goes with it, so a later save cannot remove a newer photo.
        remove.checked = false;
        remove.closest("label").hidden = !photo;
        remove.disabled = !photo;
      }
    }
    function showCounts(sections) {
      var answered = 0, total = 0;
      sections.forEach(function (s) {
        answered += s.answered; total += s.total;
        var cell = document.querySelector('[data-section-count="' + s.index + '"]');
        if (cell) cell.textContent = s.answered + "/" + s.total + (s.answered >= s.total ? " ✓" : "");
      });
      var bar = document.querySelector("progress");
      var text = document.querySelector("[data-progress-text]");
      if (bar) { bar.max = total; bar.value = answered; }
      if (text && messages.progress) text.textContent = messages.progress.replace("%a", answered).replace("%t", total);
    }
    function renderedCounts() {
      return $all("[data-section-count]").map(function (cell) {
        return { index: +cell.getAttribute("data-section-count"), answered: +cell.getAttribute("data-answered"),
                 total: +cell.getAttribute("data-total") };
      });
    }
    function countsWithLocal() {
      // What the server said, with the sections that have answers waiting on this phone counted as answered.
      var mine = null;
      return renderedCounts().map(function (s) {
        var local = s.index === index ? (mine = mine || liveCount()) : load(COUNT + visit + ":" + s.index);
        var use = local && (s.index !== index || changedKeys().length || waitingHere);
        return use ? { index: s.index, answered: local.answered.length, total: local.total } : s;
      });
    }
    var waitingHere = false;

    // The server's answer to a send of this section (now, or replayed later from the outbox).
    listeners.push(function (entry, body) {
      if (entry.visit !== visit) return;
      if (body.sections) {
        $all("[data-section-count]").forEach(function (cell) {
          var s = body.sections.filter(function (x) { return x.index === +cell.getAttribute("data-section-count"); })[0];
          if (s) { cell.setAttribute("data-answered", s.answered); cell.setAttribute("data-total", s.total); }
        });
      }
      if (entry.section !== index) { showCounts(countsWithLocal()); return; }
      waitingHere = false;
      drop(CONFLICT + id);
      var conflicts = body.conflicts || {}, problems = body.problems || {};
      // New tokens for what this page sent and for conflicts (their stored value is shown below). A question this
      // page left alone keeps the token of what it shows, so changing it later still finds another screen's change.
      var mine = entry.changed || [];
      function ours(k) { return mine.indexOf(k) !== -1 || k in conflicts; }
      Object.keys(body.bases || {}).forEach(function (k) { var b = named("b-" + k); if (b && ours(k)) b.value = body.bases[k]; });
      Object.keys(body.comment_bases || {}).forEach(function (k) { var b = named("bc-" + k); if (b && ours(k)) b.value = body.comment_bases[k]; });
      keys.forEach(function (k) {
        setProblem(k, problems[k] || null, "error");
        setProblem(k, conflicts[k] || null, "conflict");
        if (k in conflicts) {
          if (body.stored && k in body.stored && !isPhoto(k)) { setValue(k, body.stored[k]); baseline[k] = signature(k); }
          if (body.stored_comments && k in body.stored_comments) {
            var c = named("c-" + k);
            if (c) { c.value = body.stored_comments[k]; commentBaseline[k] = c.value; if (c.value) c.closest("details").open = true; }
          }
        }
      });
      Object.keys(body.photos || {}).forEach(function (k) {
        if (!blocks[k] || picked[k]) return;
        if (entry.files && entry.files["f-" + k] && problems[k]) {
          // The server refused the photo: say so beside it, and show what it holds (nothing, or the old one).
          photoState(k, problems[k], true);
        } else {
          photoState(k, "");
        }
        showPhoto(k, body.photos[k]);
      });
      applyShowIf();
      showCounts(body.sections || countsWithLocal());
      var hasChanges = changedKeys().length > 0;
      if (Object.keys(conflicts).length) say(messages.conflicts);
      else if (Object.keys(problems).length) say(messages.problems);
      else if (!hasChanges) say(messages.saved);
      recache(urls);   // the copies kept for offline use now show what the server holds
    });

    function keep() {
      // Hand this section's current state to the outbox; resolves true when it is kept on this phone.
      var changed = changedKeys();
      if (!changed.length) return outbox.get(id).then(function (e) { return !!e; }, function () { return false; });
      var files = {};
      Object.keys(picked).forEach(function (k) { files["f-" + k] = { blob: picked[k], filename: picked[k].name || "photo.jpg" }; });
      var count = liveCount();
      return outbox.get(id).catch(function () { return null; }).then(function (old) {
        var entry = {
          id: id, visit: visit, section: index, url: form.action, fields: payloadFields(),
          files: Object.assign({}, old ? old.files : {}, files),
          changed: (old ? old.changed : []).concat(changed).filter(function (k, i, all) { return all.indexOf(k) === i; }),
          answered: count.answered, rev: (old ? old.rev : 0) + 1, at: old ? old.at : Date.now()
        };
        if (old) {
          // The tokens stay those of the page the first change was typed on.
          var bases = {};
          old.fields.forEach(function (f) { if (/^bc?-/.test(f[0])) bases[f[0]] = f[1]; });
          entry.fields = entry.fields.map(function (f) { return f[0] in bases ? [f[0], bases[f[0]]] : f; });
        }
        return outbox.put(entry).then(function () {
          store(COUNT + id, count);
          Object.keys(files).forEach(function (name) { var k = name.slice(2); delete picked[k]; if (!navigator.onLine) photoState(k, messages.photoKept); });
          remember();
          waitingHere = true;
          return true;
        }, function () {
          // Online, the save goes straight to the server instead (photo included).
          if (!Object.keys(files).length || navigator.onLine) return false;
          // This phone cannot keep the photo: say so beside it and keep the question as it was.
          Object.keys(files).forEach(function (name) {
            var k = name.slice(2);
            delete picked[k];
            var input = blocks[k].querySelector('input[type="file"]');
            if (input) input.value = "";
            var img = blocks[k].querySelector(".photo-preview");
            if (img && img.getAttribute("data-state") === "local") { img.hidden = true; img.removeAttribute("src"); img.setAttribute("data-state", "failed"); }
            photoState(k, messages.photoLost, true);
          });
          return keep();
        });
      });
    }
    function sendDirect() {
      // Without an outbox (no storage on this phone) an online save goes straight to the server.
      var files = {};
      Object.keys(picked).forEach(function (k) { files["f-" + k] = { blob: picked[k], filename: picked[k].name || "photo.jpg" }; });
      var entry = { id: id, visit: visit, section: index, url: form.action, fields: payloadFields(), files: files, rev: -1,
                    changed: changedKeys() };
      var sentPicks = Object.keys(picked);
      var before = {}; keys.forEach(function (k) { before[k] = [signature(k), commentOf(k)]; });
      return post(form.action, formDataOf(entry.fields, files)).then(function (response) {
        if (!isJson(response)) return false;
        return response.json().then(function (body) {
          if (!body.bases) { say(body.message || messages.problems); return false; }
          sentPicks.forEach(function (k) { if (picked[k] === files["f-" + k].blob) delete picked[k]; });
          keys.forEach(function (k) { baseline[k] = before[k][0]; commentBaseline[k] = before[k][1]; });
          listeners.forEach(function (listen) { listen(entry, body); });
          return !Object.keys(body.problems || {}).length && !Object.keys(body.conflicts || {}).length;
        });
      }, function () { return false; });
    }
    function save() {
      clearTimeout(timer);
      return restored.then(saveNow);
    }
    function saveNow() {
      var changed = changedKeys().length > 0;
      if (changed) say(navigator.onLine ? messages.saving : "");
      return keep().then(function (kept) {
        showCounts(countsWithLocal());
        if (!kept) {
          if (!changed) return true;
          if (navigator.onLine) return sendDirect();
          say(messages.notKept);
          return false;
        }
        if (!navigator.onLine) { say(messages.offline); return refreshBanner().then(function () { return false; }); }
        return flush().then(function () {
          return outbox.get(id).then(function (left) {
            if (left) { say(messages.offline); return false; }    // not sent: it stays on this phone
            return !form.querySelector("[data-live-error], [data-live-conflict]");
          });
        });
      });
    }

    // A copy of this page kept for offline use may be older than what is waiting: show what is waiting, except
    // where the shopper has already changed something on this page (the outbox can be slow to open). Saves wait
    // for this, so they never hand the outbox a page that lacks what was waiting.
    remember();
    var touched = {};
    function keyOf(el) { var q = el && el.closest && el.closest(".question[data-key]"); return q ? q.getAttribute("data-key") : null; }
    function touch(event) { var k = keyOf(event.target); if (k) touched[k] = true; }
    form.addEventListener("change", touch, true);
    form.addEventListener("input", touch, true);
    var restored = outbox.get(id).catch(function () { return null; }).then(function (waiting) {
      form.removeEventListener("change", touch, true);
      form.removeEventListener("input", touch, true);
      if (waiting) {
        var byName = {};
        waiting.fields.forEach(function (f) { (byName[f[0]] = byName[f[0]] || []).push(f[1]); });
        $all("input, textarea", form).forEach(function (el) {
          if (!el.name || el.name === "csrf_token" || el.type === "file" || el.name === "go") return;
          if (touched[keyOf(el)]) return;
          if (/^q-/.test(el.name) && blocks[el.name.slice(2)] && isPhoto(el.name.slice(2))) return;
          var values = byName[el.name] || [];
          if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) !== -1;
          else if (values.length || el.type !== "hidden") el.value = values.length ? values[0] : "";
        });
        keys.forEach(function (k) { if (!touched[k] && blocks[k].querySelector(".stopwatch-display")) setValue(k, signature(k).replace(/^q-[^=]+=/, "")); });
        Object.keys(waiting.files || {}).forEach(function (name) {
          var k = name.slice(2);
          if (touched[k]) return;
          var img = blocks[k] && blocks[k].querySelector(".photo-preview");
          if (img) { img.src = URL.createObjectURL(waiting.files[name].blob); img.hidden = false; img.alt = messages.photo || ""; img.setAttribute("data-state", "local"); }
          photoState(k, messages.photoKept);
        });
        waitingHere = true;
        // What is waiting belongs to the outbox now; what the shopper just changed is still to be saved.
        keys.forEach(function (k) { if (!touched[k]) { baseline[k] = signature(k); commentBaseline[k] = commentOf(k); } });
      }
      // Conflicts found while another page was open: this page, fresh from the server, shows the kept answers.
      var earlier = load(CONFLICT + id);
      if (earlier && !waiting) {
        Object.keys(earlier).forEach(function (k) { setProblem(k, earlier[k], "conflict"); });
        drop(CONFLICT + id);
        say(messages.conflicts);
      }
      applyShowIf();
      showCounts(countsWithLocal());
      refreshBanner();
      if (waiting && navigator.onLine) flush();
    });
    applyShowIf();

    form.addEventListener("change", function (event) {
      if (event.target.matches('[name^="q-"], [name^="na-"]')) applyShowIf();
      if (event.target.type === "file") return;          // handled by its own listener below
      say("");                                           // "Saved" only once this change is saved
      clearTimeout(timer); timer = setTimeout(save, 500);
    });
    form.addEventListener("input", function (event) {
      if (event.target.tagName === "TEXTAREA" || event.target.type === "text" || !event.target.type) { say(""); clearTimeout(timer); timer = setTimeout(save, 1200); }
    });
    form.addEventListener("submit", function (event) {
      var go = event.submitter ? event.submitter.value : "next";
      var target = go === "prev" ? urls[Math.max(index - 1, 0)] : form.getAttribute("data-next");
      event.preventDefault();
      save().then(function (ok) {
        if (ok || !navigator.onLine) { window.location.href = target; return; }
        return outbox.get(id).catch(function () { return null; }).then(function (left) {
          if (left && !form.querySelector("[data-live-error], [data-live-conflict]")) { window.location.href = target; return; }
          if (form.querySelector("[data-live-conflict]")) { form.querySelector("[data-live-conflict]").closest(".question").scrollIntoView(); return; }
          // The server found a problem: post normally so it shows each one next to its question.
          var hiddenGo = document.createElement("input");
          hiddenGo.type = "hidden"; hiddenGo.name = "go"; hiddenGo.value = go; form.appendChild(hiddenGo);
          $all('input[type="file"]', form).forEach(function (i) { if (!picked[i.name.slice(2)]) i.disabled = true; });
          HTMLFormElement.prototype.submit.call(form);
        });
      });
    });
    // Leaving by a link (the section list, the header) first keeps what was just typed.
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || link.target || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) return;
      if (link.origin !== location.origin || link.pathname === location.pathname || !changedKeys().length) return;
      event.preventDefault();
      save().then(function () { window.location.href = link.href; }, function () { window.location.href = link.href; });
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden" && changedKeys().length) save();
    });
    $all("[data-stopwatch]", form).forEach(function (box) {
      var block = box.closest(".question");
      stopwatch(box, messages.stopwatch || { start: "Start", stop: "Stop", reset: "Reset" }, visit, block ? block.getAttribute("data-key") : box.querySelector("input").name);
    });
    $all("[data-photo]", form).forEach(function (box) {
      var input = box.querySelector('input[type="file"]'), img = box.querySelector("img");
      var key = box.closest(".question").getAttribute("data-key");
      input.addEventListener("change", function () {
        if (!input.files || !input.files[0]) return;
        picked[key] = input.files[0];
        say("");
        if (img) { img.src = URL.createObjectURL(input.files[0]); img.hidden = false; img.alt = messages.photo || ""; img.setAttribute("data-state", "local"); }
        var label = box.querySelector(".photo-button");
        if (label && messages.retake) label.textContent = messages.retake;
        photoState(key, navigator.onLine ? messages.photoSending : "");
        save();
      });
    });
    registerWorker(urls);
  }

  /* --- the review page: counts what is waiting on this phone as answered, until the server has it ---------- */
  function reviewPage(root) {
    var visit = root.getAttribute("data-visit");
    var messages = messagesOf(root);
    function mark(entries) {
      var mine = entries.filter(function (e) { return e.visit === visit; });
      var answeredHere = {};
      mine.forEach(function (e) { (e.answered || []).forEach(function (k) { answeredHere[k] = true; }); });
      var items = $all("[data-missing-key]");
      var left = 0;
      items.forEach(function (li) {
        var here = !!answeredHere[li.getAttribute("data-missing-key")];
        li.classList.toggle("is-answered-here", here);
        var note = li.querySelector("[data-here-note]");
        if (here && !note) {
          note = document.createElement("strong"); note.className = "here-note"; note.setAttribute("data-here-note", "");
          note.textContent = messages.answeredHere; li.appendChild(note);
        } else if (!here && note) note.remove();
        if (!here) left += 1;
      });
      var heading = document.getElementById("missing-h");
      if (heading && mine.length) heading.textContent = left ? fill(left === 1 ? messages.missingOne : messages.missingOther, { n: left }) : messages.allHere;
      var waitingNote = document.querySelector("[data-waiting-note]");
      if (waitingNote) waitingNote.hidden = !mine.length;
      var total = 0, answered = 0, touched = false;
      $all("[data-section-count]").forEach(function (cell) {
        var i = cell.getAttribute("data-section-count");
        var local = mine.some(function (e) { return String(e.section) === i; }) ? load(COUNT + visit + ":" + i) : null;
        var a = local ? local.answered.length : +cell.getAttribute("data-answered");
        var t = local ? local.total : +cell.getAttribute("data-total");
        if (local) touched = true;
        answered += a; total += t;
        cell.textContent = a + "/" + t;
        var badge = document.querySelector('[data-missing-badge="' + i + '"]');
        if (badge && local) badge.hidden = a >= t;
      });
      var summary = document.querySelector("[data-answered-summary]");
      if (summary && touched && messages.summary) summary.textContent = fill(messages.summary, { a: answered, t: total });
    }
    try {
      if (sessionStorage.getItem(SENT + visit)) { sentThisPage = hadWaiting = true; sessionStorage.removeItem(SENT + visit); }
    } catch (e) { /* no session storage */ }
    outbox.all().then(function (entries) {
      mark(entries); showBanner(entries);
      if (entries.some(function (e) { return e.visit === visit; }) && navigator.onLine) flush();
    });
    listeners.push(function (entry) {
      // Once what was waiting has reached the server, the server's own review is the truth.
      if (entry.visit !== visit) return;
      outbox.all().then(function (entries) {
        if (!entries.some(function (e) { return e.visit === visit; })) {
          try { sessionStorage.setItem(SENT + visit, "1"); } catch (e) { /* the banner then stays quiet */ }
          window.location.reload();
        }
        else mark(entries);
      });
    });
  }

  /* --- syncing what was kept on the phone ---------------------------------------------------------------- */
  function sendLegacy() {
    // Whole-form saves kept by the previous version of this page, without base tokens: sent once as they are.
    return keysWith(LEGACY).reduce(function (chain, k) {
      return chain.then(function () {
        var item = load(k);
        if (!item) { drop(k); return; }
        return post(item.url, formDataOf(item.fields.filter(function (f) { return !/^q-/.test(f[0]) || f[1] !== ""; }))).then(function (response) {
          if (isJson(response)) drop(k);
        });
      }).catch(function () { /* later */ });
    }, Promise.resolve());
  }
  function syncPending() {
    if (!navigator.onLine) return refreshBanner();
    return sendLegacy().then(flush).then(function () {
      var submits = keysWith(SUBMIT);
      return submits.reduce(function (p, k) {
        return p.then(function () {
          var item = load(k);
          return outbox.all().then(function (left) {
            if (left.some(function (e) { return item && e.visit === k.slice(SUBMIT.length); })) return;  // answers first
            return post(item.url, formDataOf(item.fields)).then(function (response) {
              if (signedOut(response)) return;               // keep it: it is sent after signing in again
              drop(k);
              window.location.href = response.ok ? item.next : item.url.replace(/\/submit$/, "/review");
            });
          });
        }).catch(function () { /* try again when online */ });
      }, Promise.resolve());
    });
  }
  window.addEventListener("online", function () { syncPending(); });
  window.addEventListener("offline", function () { refreshBanner(); });

  /* --- start and submit: geolocation, one tap, offline submit ------------------------------------------ */
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
          if (button) button.removeAttribute("aria-disabled");
          return;
        }
        return sendLegacy().then(flush).then(function () { HTMLFormElement.prototype.submit.call(form); });
      });
    });
  });

  $all("[data-visit-form]").forEach(sectionForm);
  $all("[data-review]").forEach(reviewPage);
  if (!document.querySelector("[data-visit-form]") && document.querySelector("[data-submit-form], [data-offline-page]")) registerWorker(null);
  syncPending();
})();
