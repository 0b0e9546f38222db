/* The review page: counts what is waiting on this phone as answered, until the server has it; then reloads, so
   the server's own review is what the shopper sees. */
import { $all, COUNT, SENT, load, messagesOf, fill } from "./common.js";
import { outbox } from "./outbox.js";
import { bannerState, showBanner, listeners, flush } from "./sync.js";

export function reviewPage(root) {
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
    if (sessionStorage.getItem(SENT + visit)) { bannerState.sentThisPage = bannerState.hadWaiting = true; sessionStorage.removeItem(SENT + visit); }
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
