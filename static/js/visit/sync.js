/* Sending what waits on this phone: the outbox (one send at a time, in order), saves kept by older versions of
   these files, and an offline submit once its answers are in; and the banner counting what is waiting. */
import { COUNT, CONFLICT, SUBMIT, LEGACY, store, load, drop, keysWith, messagesOf, fill, pageVisit } from "./common.js";
import { formDataOf, isJson, signedOut, post } from "./net.js";
import { outbox } from "./outbox.js";

/* --- the banner: what is waiting on this phone ---------------------------------------------------------- */
var banner = document.querySelector("[data-sync-banner]");
var bannerText = messagesOf(banner);
export var bannerState = {
  sentThisPage: false,
  hadWaiting: false,        // answers waited on this phone while this page was open (or when it opened)
  problemsElsewhere: null,
  sending: false,           // a send of the outbox is under way
  stalled: null             // why the last send left answers here while online: "unreachable", "refused", "signedOut"
};
function waitingCount(entries) {
  var keys = {};
  entries.forEach(function (e) { (e.changed || []).forEach(function (k) { keys[e.visit + ":" + k] = true; }); });
  return Object.keys(keys).length;
}
function counted(name, n) { return fill(n === 1 ? bannerText[name + "One"] : bannerText[name + "Other"], { n: n }); }
export function showBanner(entries) {
  if (!banner) return;
  var mine = entries.filter(function (e) { return !pageVisit || e.visit === pageVisit; });
  var n = waitingCount(mine);
  var text = "", kind = "";
  if (n > 0 && !navigator.onLine) bannerState.hadWaiting = true;
  if (n > 0) {
    // Offline: sent on reconnecting. Online: said only when it is more than the save the page says it is making.
    if (!navigator.onLine) text = fill(n === 1 ? bannerText.one : bannerText.other, { n: n });
    else if (bannerState.stalled === "signedOut") text = counted("signIn", n);
    else if (bannerState.stalled && !bannerState.sending) text = counted("retry", n);
    else if (bannerState.hadWaiting) text = counted("sending", n);
    kind = text ? "waiting" : "";
  } else if (!navigator.onLine) {
    text = bannerText.offline; kind = "waiting";
  } else if (bannerState.problemsElsewhere) {
    text = bannerState.problemsElsewhere; kind = "problem";
  } else {
    var elsewhere = keysWith(CONFLICT + (pageVisit || "")).map(function (k) { return +k.split(":").pop() + 1; })
      .sort(function (a, b) { return a - b; });
    if (elsewhere.length) { text = fill(bannerText.conflicts, { s: elsewhere.join(", ") }); kind = "problem"; }
    // "All sent" closes a time offline (or answers found waiting), not every save made online.
    if (bannerState.sentThisPage && bannerState.hadWaiting) { text = bannerText.sent + (text ? " " + text : ""); kind = kind || "sent"; }
  }
  banner.hidden = !text;
  banner.textContent = text;
  banner.className = "sync-banner" + (kind ? " sync-" + kind : "");
  if (text && bannerState.stalled === "signedOut" && n > 0 && navigator.onLine && bannerText.signInLink) {
    var link = document.createElement("a");
    link.href = "/login?next=" + encodeURIComponent(location.pathname);
    link.textContent = bannerText.signInLink;
    banner.appendChild(document.createTextNode(" "));
    banner.appendChild(link);
  }
  // "All sent" is news for a moment, then it makes way: the page is as it would be had nothing waited.
  clearTimeout(sentTimer);
  if (kind === "sent") {
    sentTimer = setTimeout(function () {
      bannerState.sentThisPage = bannerState.hadWaiting = false;
      refreshBanner();
    }, SENT_SHOWN_MS);
  }
}
var sentTimer = null, SENT_SHOWN_MS = 8000;
export function refreshBanner() { return outbox.all().then(function (entries) { showBanner(entries); return entries; }); }

/* --- sending the outbox ----------------------------------------------------------------------------------- */
/* Page parts told about each answer from the server: function (entry, body, waiting), `waiting` the keys of the
   entry's photos still to be sent after this answer. */
export var listeners = [];
var flushing = null, again = false, flushedOnce = false;
/* Online, answers a send could not hand over are tried again by themselves, sooner after a first failure. */
var RETRY_MS = [3000, 6000, 15000, 30000, 60000];
var retries = 0, retryTimer = null;
export function retryLater() {
  clearTimeout(retryTimer);
  var wait = RETRY_MS[Math.min(retries, RETRY_MS.length - 1)];
  retryTimer = setTimeout(function () { retryTimer = null; syncPending(); }, wait);
  retries += 1;
}
/* Sends every waiting entry; a call made while a send is running resolves after one more full pass. */
export function flush() {
  if (flushing) { again = true; return flushing; }
  bannerState.sending = true;
  flushing = sendAll().then(function (result) {
    flushing = null;
    if (again) { again = false; return flush(); }
    bannerState.sending = false;
    return refreshBanner().then(function () { return result; });
  }, function () { flushing = null; bannerState.sending = false; });
  return flushing;
}
function sendAll() {
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
    var part = answersFirst ? null : (names.length > 1 ? names[0] : null);
    var files = answersFirst ? {} : part ? {} : entry.files;
    if (part) files[part] = entry.files[part];
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
  if (!navigator.onLine) return refreshBanner().then(function () { return { sent: 0 }; });
  return outbox.all().then(function (entries) {
    if (entries.some(function (e) { return !pageVisit || e.visit === pageVisit; }) && !flushedOnce) bannerState.hadWaiting = true;
    flushedOnce = true;
    showBanner(entries);
    return entries.reduce(function (chain, entry) {
      return chain.then(function (go) { return go ? sendEntry(entry) : false; });
    }, Promise.resolve(true));
  }).then(function () {
    if (sent) bannerState.sentThisPage = true;
    bannerState.stalled = stalled;
    if (stalled) bannerState.hadWaiting = true;
    if (!stalled) retries = 0;
    else if (stalled !== "signedOut" && navigator.onLine) retryLater();
    return refreshBanner().then(function (left) { return { sent: sent, left: left, stalled: stalled }; });
  });
}
/* Why the last send left answers on this phone while online (null: it did not). */
export function stallReason() { return navigator.onLine ? bannerState.stalled : null; }

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
/* Everything kept on this phone, answers first, then a submit made offline (which then leaves the page). */
export function syncPending() {
  if (!navigator.onLine) return refreshBanner();
  return sendLegacy().then(flush).then(function () {
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
  });
}
