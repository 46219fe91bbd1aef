/* What the checkpoint page keeps on the phone, in IndexedDB ("shoumen-gate"):
 *
 * - queue:  entries confirmed but not yet accepted by the server, by client uuid. An item is
 *           "pending" (uploaded when online) or "invalid" (the server said what is wrong; kept
 *           aside and shown until the guard removes it — never dropped silently).
 * - recent: the last entries made on this phone, for the guard's list (synced or queued).
 * - meta:   the device token per checkpoint, the cached keys, lists and checkpoint context.
 *
 * Every call returns a Promise. An item leaves the queue only through remove(), which the
 * page calls once the server answered stored, duplicate or refused for its uuid.
 */
(function (root) {
  "use strict";

  var DB_NAME = "shoumen-gate";
  var DB_VERSION = 1;
  var RECENT_KEPT = 50;
  var opening = null;

  function open() {
    if (!opening) {
      opening = new Promise(function (resolve, reject) {
        if (!root.indexedDB) {
          reject(new Error("IndexedDB is not available"));
          return;
        }
        var request = root.indexedDB.open(DB_NAME, DB_VERSION);
        request.onupgradeneeded = function () {
          var db = request.result;
          db.createObjectStore("queue", {keyPath: "uuid"}).createIndex("checkpoint", "checkpoint");
          db.createObjectStore("recent", {keyPath: "uuid"}).createIndex("checkpoint", "checkpoint");
          db.createObjectStore("meta", {keyPath: "key"});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
        request.onblocked = function () { reject(new Error("IndexedDB is blocked by another tab")); };
      });
      opening.catch(function () { opening = null; });
    }
    return opening;
  }

  /* Run fn(store, ...) in one transaction; resolves with fn's result once it commits. */
  function transact(names, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var stores = [].concat(names).map(function (n) { return tx.objectStore(n); });
        var result;
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("transaction aborted")); };
        fn.apply(null, stores.concat([function (value) { result = value; }]));
      });
    });
  }

  function all(storeName, checkpoint) {
    return transact(storeName, "readonly", function (store, done) {
      var request = store.index("checkpoint").getAll(checkpoint);
      request.onsuccess = function () { done(request.result); };
    });
  }

  function byTime(field, descending) {
    return function (a, b) {
      var order = a[field] < b[field] ? -1 : a[field] > b[field] ? 1 : 0;
      return descending ? -order : order;
    };
  }

  var Store = {
    open: open,

    getMeta: function (key) {
      return transact("meta", "readonly", function (store, done) {
        var request = store.get(key);
        request.onsuccess = function () { done(request.result ? request.result.value : undefined); };
      });
    },

    setMeta: function (key, value) {
      return transact("meta", "readwrite", function (store) {
        store.put({key: key, value: value});
      });
    },

    deleteMeta: function (key) {
      return transact("meta", "readwrite", function (store) { store.delete(key); });
    },

    /* Queue an entry and list it as queued, in one transaction. */
    enqueue: function (item, recent) {
      return transact(["queue", "recent"], "readwrite", function (queue, recentStore) {
        queue.put({uuid: item.uuid, checkpoint: item.checkpoint, body: item.body,
                   state: "pending", errors: null, queuedAt: new Date().toISOString(),
                   label: item.label || ""});
        if (recent) recentStore.put(recent);
      });
    },

    pending: function (checkpoint) {
      return all("queue", checkpoint).then(function (items) {
        return items.filter(function (i) { return i.state === "pending"; })
          .sort(byTime("queuedAt", false));
      });
    },

    invalid: function (checkpoint) {
      return all("queue", checkpoint).then(function (items) {
        return items.filter(function (i) { return i.state === "invalid"; })
          .sort(byTime("queuedAt", false));
      });
    },

    counts: function (checkpoint) {
      return all("queue", checkpoint).then(function (items) {
        var counts = {pending: 0, invalid: 0};
        items.forEach(function (i) { counts[i.state] = (counts[i.state] || 0) + 1; });
        return counts;
      });
    },

    /* The server answered for these items: take them out and update their recent rows. */
    settle: function (outcomes) {
      return transact(["queue", "recent"], "readwrite", function (queue, recent) {
        outcomes.forEach(function (o) {
          if (o.invalid) {
            var get = queue.get(o.uuid);
            get.onsuccess = function () {
              if (get.result) {
                get.result.state = "invalid";
                get.result.errors = o.errors || {};
                queue.put(get.result);
              }
            };
          } else {
            queue.delete(o.uuid);
          }
          var row = recent.get(o.uuid);
          row.onsuccess = function () {
            if (row.result) {
              row.result.state = o.state;
              row.result.message = o.message || "";
              if (o.fever !== undefined) row.result.fever = row.result.fever || !!o.fever;
              recent.put(row.result);
            }
          };
        });
      });
    },

    /* The guard removes an item the server would not accept (after reading why). */
    discard: function (uuid) {
      return transact(["queue", "recent"], "readwrite", function (queue, recent) {
        queue.delete(uuid);
        recent.delete(uuid);
      });
    },

    addRecent: function (row) {
      return transact("recent", "readwrite", function (store) { store.put(row); });
    },

    /* The last entries on this phone at ``checkpoint``, newest first; older ones are pruned. */
    recent: function (checkpoint, limit) {
      return all("recent", checkpoint).then(function (rows) {
        rows.sort(byTime("at", true));
        var old = rows.slice(RECENT_KEPT).filter(function (r) { return r.state !== "queued"; });
        if (old.length) {
          transact("recent", "readwrite", function (store) {
            old.forEach(function (r) { store.delete(r.uuid); });
          });
        }
        return rows.slice(0, limit || 20);
      });
    },
  };

  root.ShoumenQueue = Store;
})(typeof globalThis !== "undefined" ? globalThis : self);
