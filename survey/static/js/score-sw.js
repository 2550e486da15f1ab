// Kaimen on-site scoring: the service worker that keeps the scoring pages usable offline.
//
// Served at /score/sw.js (scope /score/) by survey/views/scoring.py, which fills in the
// asset list. Network first: every answer from the server is shown as it is, and a copy
// of the scoring pages, their assets and the session's JSON is kept; only when the
// network fails is the copy served, so a reload without a connection still shows the
// form (score.js then restores the draft from localStorage). POSTs are never touched,
// cached or replayed: score.js queues and resends changes itself. A page the server
// cannot give right now (503: its database is unreachable) is served from the copy as
// well, so the rater keeps scoring; the JSON keeps its 503, which score.js shows and
// retries. Signing out empties the cache (score.js on the page after /score/leave).
"use strict";

var CACHE = "kaimen-score-v1";
var CACHE_PREFIX = "kaimen-score";
var ASSETS = /*ASSETS*/[];
// "/" or "/prefix/" when the app is mounted below the host's root.
var ROOT = new URL(self.registration.scope).pathname.replace(/score\/$/, "");

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(CACHE)
      .then(function (cache) { return cache.addAll(ASSETS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf(CACHE_PREFIX) === 0 && key !== CACHE;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function kept(url) {
  if (url.origin !== self.location.origin) return false;
  var path = url.pathname;
  if (path === ROOT + "score/sw.js") return false;
  return path.indexOf(ROOT + "score/sessions/") === 0 ||
    path.indexOf(ROOT + "api/score/sessions/") === 0 ||
    ASSETS.indexOf(path) !== -1;
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (!kept(url)) return;
  url.hash = "";
  event.respondWith(
    fetch(request).then(function (response) {
      if (response.status === 200 && response.type === "basic" && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { return cache.put(url.href, copy); })
          .catch(function () { /* storage full: the page still works online */ });
      }
      if (response.status === 503 && request.mode === "navigate") {
        return caches.open(CACHE)
          .then(function (cache) { return cache.match(url.href); })
          .then(function (hit) { return hit || response; }, function () { return response; });
      }
      return response;
    }, function () {
      return caches.open(CACHE)
        .then(function (cache) { return cache.match(url.href); })
        .then(function (hit) { return hit || Response.error(); });
    })
  );
});
