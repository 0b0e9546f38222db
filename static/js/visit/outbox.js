/* The outbox: section saves waiting to be sent, kept on this phone in IndexedDB (with photos as Blobs), or in
   localStorage (without photos) where IndexedDB cannot open.

   An entry is one section of one visit: {id, visit, section, url, fields, files, changed, answered, rev, at}.
   A newer save of the same section replaces its fields (the base tokens stay those of the page it was typed on)
   and adds its photos, so a replay sends each section once. Every change to an entry reads and writes it in one
   IndexedDB transaction (`update`), so a save kept while the previous one is being sent can never be overwritten
   by an older one, or dropped as if it had been sent. */
import { load, store, drop, keysWith } from "./common.js";

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
function lsPut(entry) {
  if (Object.keys(entry.files || {}).length) throw new Error("nofiles");
  if (!store(LS + entry.id, Object.assign({}, entry, { files: {} }))) throw new Error("quota");
}

/* Reads entry `id` and writes what `change(entry or null)` returns, in one transaction: an entry is put, null
   deletes, undefined leaves it. Resolves with what `change` returned; rejects when this phone cannot keep it
   (no storage, full, photos without IndexedDB). */
function update(id, change) {
  return idb().then(function (db) {
    if (!db) {
      var next = change(load(LS + id));
      if (next === null) drop(LS + id);
      else if (next !== undefined) lsPut(next);
      return next;
    }
    return new Promise(function (resolve, reject) {
      var tx = db.transaction("outbox", "readwrite"), os = tx.objectStore("outbox"), result, failed = null;
      var req = os.get(id);
      req.onsuccess = function () {
        try {
          result = change(req.result || null);
          if (result === null) os.delete(id);
          else if (result !== undefined) os.put(result);
        } catch (e) { failed = e; tx.abort(); }
      };
      tx.oncomplete = function () { resolve(result); };
      tx.onerror = tx.onabort = function () { reject(failed || tx.error || new Error("outbox")); };
    });
  });
}

/* What was sent is now stored: the entry's tokens for what it changed become the server's new ones, so what is
   still to be sent of it (newer fields, further photos) builds on them. Conflicts keep their old token. */
function rebase(entry, bases, commentBases, conflicts, changed) {
  entry.fields = entry.fields.map(function (f) {
    var m = /^(b|bc)-(.+)$/.exec(f[0]);
    if (!m || (conflicts && m[2] in conflicts) || (changed || []).indexOf(m[2]) === -1) return f;
    var fresh = (m[1] === "b" ? bases : commentBases) || {};
    return m[2] in fresh ? [f[0], fresh[m[2]]] : f;
  });
  return entry;
}
/* The entry without the photos `names`, unless one was taken again meanwhile (that one is still to be sent). */
function dropPhotos(entry, names, sentFiles) {
  names.forEach(function (name) {
    var kept = entry.files && entry.files[name], sent = sentFiles[name];
    if (kept && (!sent || kept.stamp === sent.stamp)) delete entry.files[name];
  });
  return entry;
}

export var outbox = {
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
  update: update,
  /* Drops an entry that was sent, unless it changed while it was on its way (then it is sent again, without the
     photos `files` that went: a photo is sent once, a new one taken meanwhile is kept). */
  sent: function (id, rev, bases, commentBases, conflicts, changed, files) {
    return update(id, function (entry) {
      if (!entry) return undefined;
      if (entry.rev === rev) return null;
      dropPhotos(entry, Object.keys(files || {}), files || {});
      return rebase(entry, bases, commentBases, conflicts, changed);   // changed meanwhile
    });
  },
  /* Part of an entry is stored (its answers, or one of its photos, `names`): the rest stays, on the new tokens,
     and the answers are not sent on their own again unless they change. Resolves with what is left. */
  partSent: function (id, rev, names, files, bases, commentBases, conflicts, changed) {
    return update(id, function (entry) {
      if (!entry) return undefined;
      if (!names.length && entry.rev === rev) entry.answersSent = rev;
      return rebase(dropPhotos(entry, names, files), bases, commentBases, conflicts, changed);
    }).then(function (entry) { return entry || null; });
  },
  /* Photos the server refused as too large leave the entry; its answers stay. Resolves with what is left. */
  withoutPhoto: function (id, names, files) {
    return update(id, function (entry) { return entry ? dropPhotos(entry, names, files) : undefined; })
      .then(function (entry) { return entry || null; });
  },
  remove: function (id) {
    return run("readwrite", function (os) { return os.delete(id); }).then(function (done) { if (done === null) drop(LS + id); });
  }
};
