/* When what waits on this phone is sent (one send at a time, again after a failure, on reconnecting), and the
   banner counting what is waiting. The sending itself is send.js, loaded once something waits. */
import { CONFLICT, SUBMIT, LEGACY, keysWith, messagesOf, fill, pageVisit } from "./common.js";
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
    if (!navigator.onLine) text = counted("waiting", n);
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
  var signIn = banner.getAttribute("data-sign-in");
  if (text && bannerState.stalled === "signedOut" && n > 0 && navigator.onLine && signIn && bannerText.signInLink) {
    var link = document.createElement("a");
    link.href = signIn + "?next=" + encodeURIComponent(location.pathname);
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
  if (!navigator.onLine) return refreshBanner().then(function () { return { sent: 0 }; });
  return outbox.all().then(function (entries) {
    if (entries.some(function (e) { return !pageVisit || e.visit === pageVisit; }) && !flushedOnce) bannerState.hadWaiting = true;
    flushedOnce = true;
    showBanner(entries);
    // The code that sends comes only when something waits: a page's first view does without it.
    if (!entries.length) return { sent: 0, stalled: null };
    return import("./send.js").then(function (m) { return m.sendEntries(entries); },
                                    function () { return { sent: 0, stalled: "unreachable" }; });
  }).then(function (done) {
    var sent = done.sent, stalled = done.stalled;
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

/* The answers kept on this phone: saves kept by older versions of these files, then the outbox. */
export function sendAnswers() {
  if (!keysWith(LEGACY).length) return flush();
  return import("./send.js").then(function (m) { return m.sendLegacy(); }, function () { /* later */ }).then(flush);
}
/* Everything kept on this phone, answers first, then a submit made offline (which then leaves the page). */
export function syncPending() {
  if (!navigator.onLine) return refreshBanner();
  return sendAnswers().then(function () {
    if (keysWith(SUBMIT).length) return import("./send.js").then(function (m) { return m.sendSubmits(); });
  }).catch(function () { /* try again when online */ });
}
