/* Sending what waits on this phone, loaded only when something does (sync.js decides when and keeps the banner):
   each section's entry of the outbox in order, saves kept by older versions of these files, and a submit made
   offline once its answers are in. */
import { COUNT, CONFLICT, SUBMIT, LEGACY, store, load, drop, keysWith } from "./common.js";
import { formDataOf, isJson, signedOut, post } from "./net.js";
import { outbox } from "./outbox.js";
import { bannerState, listeners } from "./sync.js";

/* Sends `entries` in order until one cannot go; resolves with how many were answered and why it stopped. */
export function sendEntries(entries) {
  var sent = 0, stalled = null;
  /* Sends one entry; resolves true to go on with the next one, false to stop the pass (the entry stays).
     An entry holding several photos (a section answered offline) goes one photo per request, each with the
     answers: one save of them all could be larger than the server or its proxy takes, and on a poor connection
     each photo that arrives stays arrived. */
  function sendEntry(entry) {
    var names = Object.keys(entry.files || {});
    // The answers go first, on their own, whenever photos wait with them: a photo can take long on a poor
    // connection, or fail, and the answers are not held back by it. Then each photo, with the answers again.
    var photoKeys = names.map(function (name) { return name.slice(2); });
    var answersFirst = names.length > 0 && entry.answersSent !== entry.rev &&
      (entry.changed || []).some(function (k) { return photoKeys.indexOf(k) === -1; });
    var part = !answersFirst && names.length > 1 ? names[0] : null;
    var files = {};                                                 // what this request carries
    if (part) files[part] = entry.files[part];
    else if (!answersFirst) files = entry.files;
    var more = answersFirst || !!part;                              // something of this entry is still to go
    return post(entry.url, formDataOf(entry.fields, files)).then(function (response) {
      // Keep it: it is sent after signing in again (a redirect to sign in, or the form's token gone with the session).
      if (signedOut(response) || response.status === 401) { stalled = "signedOut"; return false; }
      if (!isJson(response)) {
        if (response.status === 403 || response.status === 404) return outbox.remove(entry.id).then(function () { return true; });
        stalled = "refused";
        return false;                                               // e.g. too many tries at once: later
      }
      return response.json().then(function (body) {
        sent += 1;
        if (body.reason === "too_large" && names.length) {
          // A photo larger than the server takes: the answers stay and go without it; the banner says why.
          bannerState.problemsElsewhere = body.message || null;
          return outbox.withoutPhoto(entry.id, part ? [part] : names, files).then(function (rest) {
            return rest ? sendEntry(rest) : true;
          });
        }
        if (!body.bases) {                                          // the visit can no longer change
          bannerState.problemsElsewhere = body.message || null;
          return outbox.remove(entry.id).then(function () { return true; });
        }
        // Kept until the section is on screen, which shows each conflict beside its question.
        if (Object.keys(body.conflicts || {}).length) store(CONFLICT + entry.id, body.conflicts);
        if (more) {
          return outbox.partSent(entry.id, entry.rev, answersFirst ? [] : [part], files, body.bases,
                                 body.comment_bases, body.conflicts, entry.changed).then(function (rest) {
            var waiting = names.filter(function (name) { return name !== part; })
              .map(function (name) { return name.slice(2); });
            listeners.forEach(function (listen) { listen(entry, body, waiting); });
            return rest ? sendEntry(rest) : true;
          });
        }
        drop(COUNT + entry.visit + ":" + entry.section);
        return outbox.sent(entry.id, entry.rev, body.bases, body.comment_bases, body.conflicts, entry.changed,
                           files).then(function () {
          listeners.forEach(function (listen) { listen(entry, body, []); });
          return true;
        });
      });
    }, function () { stalled = "unreachable"; return false; });   // the connection dropped: later
  }
  return entries.reduce(function (chain, entry) {
    return chain.then(function (go) { return go ? sendEntry(entry) : false; });
  }, Promise.resolve(true)).then(function () { return { sent: sent, stalled: stalled }; });
}

/* Whole-form saves kept by a previous version of these pages, without base tokens: sent once as they are. */
export function sendLegacy() {
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
/* A submit made offline, once its visit's answers have all gone (then the page goes where the submit leads). */
export function sendSubmits() {
  var submits = keysWith(SUBMIT);
  return submits.reduce(function (p, k) {
    return p.then(function () {
      var item = load(k);
      return outbox.all().then(function (left) {
        if (left.some(function (e) { return item && e.visit === k.slice(SUBMIT.length); })) return;  // answers first
        return post(item.url, formDataOf(item.fields)).then(function (response) {
          if (signedOut(response) || response.status === 401) return;   // keep it: sent after signing in again
          drop(k);
          window.location.href = response.ok ? item.next : item.url.replace(/\/submit$/, "/review");
        });
      });
    }).catch(function () { /* try again when online */ });
  }, Promise.resolve());
}
