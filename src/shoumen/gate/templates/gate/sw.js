/* Service worker of the guard's checkpoint page (scope {{ scope }}), release {{ version }}.
 *
 * Keeps the page shell and its static files so that the page reloads with no network:
 * - checkpoint pages (…/checkpoints/<id>/scan/): network first, the last good copy offline;
 * - static files with a hashed name (manifest storage): cache first, they never change;
 *   other static files: network first, cached copy offline;
 * - everything else (the API above all) is left alone: the page handles being offline.
 */
"use strict";

var VERSION = "{{ version }}";
var STATIC_CACHE = "gate-static-" + VERSION;
var PAGE_CACHE = "gate-pages";
var ASSETS = {{ assets_json|safe }};
var SCOPE = "{{ scope }}";
var STATIC_PREFIX = "{{ static_prefix }}";
var PAGE = new RegExp("^" + SCOPE.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + "checkpoints/\\d+/scan/$");
var HASHED = /\.[0-9a-f]{12}\.[A-Za-z0-9]+$/;
var PAGE_WAIT_MS = 6000;  // past this, a slow network loses to the cached page

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC_CACHE).then(function (cache) {
    // One missing file must not stop the others from being kept.
    return Promise.all(ASSETS.map(function (url) {
      return cache.add(new Request(url, {cache: "reload"})).catch(function () {});
    }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("gate-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

/* The page asks for itself and the files it references to be kept (its first load came
   before this worker controlled it, so nothing went through the fetch handler). */
self.addEventListener("message", function (event) {
  var data = event.data || {};
  if (data.type !== "keep") return;
  var work = (data.urls || []).map(function (url) {
    var path = new URL(url, self.location.href).pathname;
    var name = PAGE.test(path) ? PAGE_CACHE : STATIC_CACHE;
    return caches.open(name).then(function (cache) {
      return cache.match(url, {ignoreSearch: name === PAGE_CACHE, ignoreVary: true}).then(function (hit) {
        if (hit && name === STATIC_CACHE) return undefined;
        return fetch(url, {credentials: "same-origin"}).then(function (response) {
          return keepable(response) ? cache.put(url, response) : undefined;
        });
      });
    }).catch(function () {});
  });
  event.waitUntil(Promise.all(work).then(function () {
    if (event.source) event.source.postMessage({type: "kept", version: VERSION});
  }));
});

function keepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function fromCache(cacheName, request) {
  return caches.open(cacheName).then(function (cache) {
    return cache.match(request, {ignoreSearch: cacheName === PAGE_CACHE, ignoreVary: true});
  });
}

function networkFirst(request, cacheName, waitMs) {
  var network = fetch(request).then(function (response) {
    if (keepable(response)) {
      var copy = response.clone();
      caches.open(cacheName).then(function (cache) { return cache.put(request, copy); });
    }
    return response;
  });
  var fallback = function () {
    return fromCache(cacheName, request).then(function (hit) {
      if (hit) return hit;
      return network;  // nothing kept: the network's answer (or its error) it is
    });
  };
  if (!waitMs) return network.catch(fallback);
  var timer = new Promise(function (resolve) { setTimeout(resolve, waitMs, "timeout"); });
  return Promise.race([network, timer]).then(function (winner) {
    return winner === "timeout" ? fallback() : winner;
  }, fallback);
}

function cacheFirst(request) {
  return fromCache(STATIC_CACHE, request).then(function (hit) {
    return hit || fetch(request).then(function (response) {
      if (keepable(response)) {
        var copy = response.clone();
        caches.open(STATIC_CACHE).then(function (cache) { return cache.put(request, copy); });
      }
      return response;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && PAGE.test(url.pathname)) {
    event.respondWith(networkFirst(request, PAGE_CACHE, PAGE_WAIT_MS));
  } else if (url.pathname.indexOf(STATIC_PREFIX) === 0) {
    event.respondWith(HASHED.test(url.pathname) ? cacheFirst(request)
                                                : networkFirst(request, STATIC_CACHE, 0));
  }
});
