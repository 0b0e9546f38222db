/* What every shopper page module shares: the keys of what this phone keeps in localStorage, storage helpers that
   never throw (private mode, full storage), and small DOM helpers. */
export const SUBMIT = "storecheck:submit:";     // + visit uuid -> {url, fields, next}
export const COUNT = "storecheck:count:";       // + visit uuid + ":" + section -> {answered, total} shown while waiting
export const WATCH = "storecheck:watch:";       // + visit uuid + ":" + question key -> when the running stopwatch started
export const CONFLICT = "storecheck:conflict:"; // + visit uuid + ":" + section -> {key: text} until that section is shown
export const SENT = "storecheck:sent:";         // + visit uuid, for one page load: the review reloaded after sending
export const LEGACY = "storecheck:pending:";    // saves kept by an older version of these files: sent once, then dropped

export function $all(selector, root) { return Array.prototype.slice.call((root || document).querySelectorAll(selector)); }
export function store(key, value) { try { localStorage.setItem(key, JSON.stringify(value)); return true; } catch (e) { return false; } }
export function load(key) { try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; } }
export function drop(key) { try { localStorage.removeItem(key); } catch (e) { /* private mode */ } }
export function keysWith(prefix) {
  var found = [];
  try {
    for (var i = 0; i < localStorage.length; i++) { var k = localStorage.key(i); if (k && k.indexOf(prefix) === 0) found.push(k); }
  } catch (e) { /* no storage */ }
  return found;
}
export function messagesOf(el) { try { return JSON.parse((el && el.getAttribute("data-messages")) || "{}"); } catch (e) { return {}; } }
export function fill(template, values) {
  return String(template || "").replace(/\{(\w+)\}/g, function (all, name) { return name in values ? values[name] : all; });
}

var visitMeta = document.querySelector('meta[name="storecheck-visit"]');
/* The visit the page on screen belongs to (null on pages of no one visit). */
export var pageVisit = visitMeta ? visitMeta.getAttribute("content") : null;
