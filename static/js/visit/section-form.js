/* A section of a visit: autosave through the outbox, live problems and conflicts beside their questions, the
   counts of what is answered, and leaving the page only once what was typed is kept.

   A save posts the whole section with the base tokens the page was rendered with (b-KEY, bc-KEY): the server
   stores only what this page changed and reports a conflict when another screen changed it meanwhile. What a
   save keeps is read from the page at one moment (a snapshot), and only that is marked as saved: an answer typed
   while the outbox is busy stays "changed" and goes with the next save. */
import { $all, COUNT, CONFLICT, store, load, drop, messagesOf } from "./common.js";
import { fieldsOf, formDataOf, isJson, post } from "./net.js";
import { outbox } from "./outbox.js";
import { listeners, flush, refreshBanner, stallReason } from "./sync.js";
import { registerWorker, recache } from "./worker.js";

/* `parts`: the modules only some sections need, loaded by visit.js where the page has their questions (a section
   without them is sent none of their code): `photos` (photos.js), `stopwatch` (stopwatch.js) and `showIf`
   (show-if.js). Each is used only for its own kind of question, so one a section does not have is never asked. */
export function sectionForm(form, parts) {
  var photos = parts.photos, watch = parts.stopwatch;
  var applyShowIf = parts.showIf ? parts.showIf.applyShowIf : function () {};
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
  var waitingHere = false;
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
  /* What the page shows now, per question: {answers: {key: signature}, comments: {key: text}}. */
  function snapshot() {
    var shot = { answers: {}, comments: {} };
    keys.forEach(function (k) { shot.answers[k] = signature(k); shot.comments[k] = commentOf(k); });
    return shot;
  }
  function remember(shot) {
    shot = shot || snapshot();
    keys.forEach(function (k) { baseline[k] = shot.answers[k]; commentBaseline[k] = shot.comments[k]; });
  }
  function changedKeys() {
    return keys.filter(function (k) { return picked[k] || signature(k) !== baseline[k] || commentOf(k) !== commentBaseline[k]; });
  }
  function isAnswered(key) {
    if (!isPhoto(key)) return signature(key) !== "";
    return photos.photoAnswered(blocks[key], named("na-" + key), named("remove-" + key), picked[key]);
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
    if (out) {  // only on a timed question, where the stopwatch module is loaded
      var secs = na ? null : watch.seconds(values[0]);
      out.textContent = secs === null ? "0:00" : watch.format(secs);
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

  // The server's answer to a send of this section (now, or replayed later from the outbox).
  listeners.push(function (entry, body, waiting) {
    waiting = waiting || [];
    if (entry.visit !== visit) return;
    if (body.sections) {
      $all("[data-section-count]").forEach(function (cell) {
        var s = body.sections.filter(function (x) { return x.index === +cell.getAttribute("data-section-count"); })[0];
        if (s) { cell.setAttribute("data-answered", s.answered); cell.setAttribute("data-total", s.total); }
      });
    }
    if (entry.section !== index) { showCounts(countsWithLocal()); return; }
    waitingHere = waiting.length > 0;                  // its photos are still on this phone
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
      if (!blocks[k] || picked[k] || waiting.indexOf(k) !== -1) return;   // still on its way: the phone's copy stays
      // A refused photo's reason is the question's problem (above); the words beside the button are cleared so it
      // is not said twice. What the server holds is shown (nothing, or the old photo).
      photos.photoState(blocks[k], "");
      photos.showStoredPhoto(blocks[k], body.photos[k], messages);
    });
    applyShowIf();
    showCounts(body.sections || countsWithLocal());
    var hasChanges = changedKeys().length > 0;
    if (Object.keys(conflicts).length) say(messages.conflicts);
    else if (Object.keys(problems).length) say(messages.problems);
    else if (!hasChanges) say(waiting.length ? messages.photoSending : messages.saved);
    recache(urls);   // the copies kept for offline use now show what the server holds
  });

  function pickedFiles(from) {
    var files = {};
    // The stamp tells this photo from one taken again while it is being sent (outbox.js).
    Object.keys(from).forEach(function (k) {
      files["f-" + k] = { blob: from[k], filename: from[k].name || "photo.jpg",
                          stamp: Date.now() + ":" + Math.random() };
    });
    return files;
  }
  function keep() {
    // Hand this section's current state to the outbox; resolves true when it is kept on this phone.
    var changed = changedKeys();
    if (!changed.length) return outbox.get(id).then(function (e) { return !!e; }, function () { return false; });
    // Everything read now, in one go: the outbox may take a while, and the shopper may go on typing meanwhile.
    var shot = snapshot(), fields = payloadFields(), count = liveCount();
    var pickedNow = Object.assign({}, picked), files = pickedFiles(pickedNow);
    return outbox.update(id, function (old) {
      var entry = {
        id: id, visit: visit, section: index, url: form.action, fields: fields,
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
      return entry;
    }).then(function () {
      store(COUNT + id, count);
      Object.keys(pickedNow).forEach(function (k) {
        if (picked[k] === pickedNow[k]) delete picked[k];
        if (!navigator.onLine) photos.photoState(blocks[k], messages.photoKept);
      });
      remember(shot);
      waitingHere = true;
      return true;
    }, function () {
      // Online, the save goes straight to the server instead (photo included).
      if (!Object.keys(files).length || navigator.onLine) return false;
      // This phone cannot keep the photo: say so beside it and keep the question as it was.
      Object.keys(pickedNow).forEach(function (k) { delete picked[k]; photos.forgetPicked(blocks[k], messages); });
      return keep();
    });
  }
  function sendDirect() {
    // Without an outbox (no storage on this phone) an online save goes straight to the server.
    var files = pickedFiles(picked);
    var entry = { id: id, visit: visit, section: index, url: form.action, fields: payloadFields(), files: files, rev: -1,
                  changed: changedKeys() };
    var sentPicks = Object.keys(picked);
    var before = snapshot();
    return post(form.action, formDataOf(entry.fields, files)).then(function (response) {
      if (response.status === 401) { say(messages.signIn); return false; }
      if (!isJson(response)) return false;
      return response.json().then(function (body) {
        if (!body.bases) { say(body.message || messages.problems); return false; }
        sentPicks.forEach(function (k) { if (picked[k] === files["f-" + k].blob) delete picked[k]; });
        remember(before);
        listeners.forEach(function (listen) { listen(entry, body); });
        return !Object.keys(body.problems || {}).length && !Object.keys(body.conflicts || {}).length;
      });
    }, function () { return false; });
  }
  function waitingWords() {
    var why = stallReason();
    return why === "signedOut" ? messages.signIn : why ? messages.retrying : messages.offline;
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
        // Nothing new to send: fine unless an answer sent earlier came back with a problem or a conflict.
        if (!changed) return !form.querySelector("[data-live-error], [data-live-conflict]");
        if (navigator.onLine) return sendDirect();
        say(messages.notKept);
        return false;
      }
      if (!navigator.onLine) { say(messages.offline); return refreshBanner().then(function () { return false; }); }
      return flush().then(function () {
        return outbox.get(id).then(function (left) {
          if (left) { say(waitingWords()); return false; }      // not sent: it stays on this phone
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
        photos.previewLocal(blocks[k], waiting.files[name].blob, messages);
        photos.photoState(blocks[k], messages.photoKept);
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
    leaveAfterSave(function () { window.location.href = link.href; });
  });
  // Another form of the page (the language switch, signing out) first keeps what was just typed, then goes on
  // with the button that was pressed.
  var passing = null;
  document.addEventListener("submit", function (event) {
    var other = event.target;
    if (other === form || other === passing || event.defaultPrevented || !changedKeys().length) return;
    event.preventDefault();
    var submitter = event.submitter || null;
    leaveAfterSave(function () { passing = other; if (submitter) other.requestSubmit(submitter); else other.requestSubmit(); });
  }, true);
  // Leaves once what was typed is saved (or kept on this phone while offline); an answer the server refused keeps
  // the shopper on the page, at the question that says why, so nothing is dropped without a word.
  function leaveAfterSave(go) {
    save().then(function (ok) {
      var problem = form.querySelector("[data-live-error], [data-live-conflict]");
      if (ok || !navigator.onLine || !problem) { go(); return; }
      say(messages.problems);
      var question = problem.closest(".question");
      question.scrollIntoView();
      var field = question.querySelector("input:not([type=hidden]), textarea, select");
      if (field) field.focus({ preventScroll: true });
    }, go);
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && changedKeys().length) save();
  });
  $all("[data-stopwatch]", form).forEach(function (box) {
    var block = box.closest(".question");
    watch.stopwatch(box, messages.stopwatch || { start: "Start", stop: "Stop", reset: "Reset" }, visit, block ? block.getAttribute("data-key") : box.querySelector("input").name);
  });
  if (photos) photos.wirePhotoInputs(form, messages, function (key, file) {
    picked[key] = file;
    say("");
    photos.photoState(blocks[key], navigator.onLine ? messages.photoSending : "");
    save();
  });
  registerWorker(urls);
}
