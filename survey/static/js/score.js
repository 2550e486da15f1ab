// Kaimen on-site scoring on the representative's phone. The pages work without this file:
// the scoring form posts the whole scorecard at once. With it:
//
// 1. Every change is kept in localStorage at once and queued; the queue goes to
//    POST {changes-url} in batches (about a second after the last change), and is
//    retried with growing pauses while the phone is offline or the network fails, or
//    after the pause the server asks for (Retry-After) while it cannot save (a 503:
//    its database is unreachable); the queue stays on the phone meanwhile.
//    Each criterion and comment carries a version, raised on every edit above what
//    the server holds, so a late or repeated send never overwrites anything newer.
// 2. A reload (also offline, through the service worker) restores the draft: for each
//    criterion or comment the higher version of the phone's and the server's wins.
// 3. Running totals per area and overall; "submit" only when every criterion has a
//    score or "cannot judge"; the receipt after submitting.
// 4. The service worker (scope /score/) keeps the scoring pages for offline reloads;
//    signing out, or another rater joining on this phone, empties its cache.
(function () {
  "use strict";

  var PREFIX = "kaimen:score:";
  var CACHE = "kaimen-score-v1";
  var CACHE_PREFIX = "kaimen-score";
  var DEBOUNCE_MS = 1000;
  var FIRST_RETRY_MS = 2000;
  var MAX_RETRY_MS = 30000;
  var POLL_MS = 10000;
  var EPSILON = 1e-6;

  // ------------------------------------------------------------------ storage and the worker

  var store = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); return true; } catch (e) { return false; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(key); } catch (e) { /* unavailable */ }
    },
    keys: function () {
      var out = [];
      try {
        for (var i = 0; i < window.localStorage.length; i++) out.push(window.localStorage.key(i));
      } catch (e) { /* unavailable */ }
      return out;
    }
  };

  function forget(prefix) {
    store.keys().forEach(function (key) {
      if (key && key.indexOf(prefix) === 0) store.remove(key);
    });
  }

  function clearCaches() {
    if (!window.caches) return Promise.resolve();
    return window.caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf(CACHE_PREFIX) === 0; })
        .map(function (k) { return window.caches.delete(k); }));
    }).catch(function () { /* nothing to clear */ });
  }

  function scopeOf(url) {
    return url.replace(/[^/]*$/, "");
  }

  function registerWorker(url) {
    if (!url || !("serviceWorker" in navigator)) return Promise.resolve(null);
    return navigator.serviceWorker.register(url, { scope: scopeOf(url) })
      .then(function () { return navigator.serviceWorker.ready; })
      .catch(function () { return null; });
  }

  function unregisterWorkers() {
    if (!("serviceWorker" in navigator) || !navigator.serviceWorker.getRegistrations) return;
    navigator.serviceWorker.getRegistrations().then(function (registrations) {
      registrations.forEach(function (registration) {
        if (/\/score\/$/.test(registration.scope)) registration.unregister();
      });
    }).catch(function () { /* none */ });
  }

  function parseJSON(text, fallback) {
    try {
      var value = JSON.parse(text);
      return value === null || value === undefined ? fallback : value;
    } catch (e) {
      return fallback;
    }
  }

  function isPending(draft) {
    if (!draft || typeof draft !== "object" || !draft.acked) return false;
    var kinds = ["entries", "comments"];
    return kinds.some(function (kind) {
      var items = draft[kind] || {};
      var acked = draft.acked[kind] || {};
      return Object.keys(items).some(function (k) { return (items[k].version || 0) > (acked[k] || 0); });
    });
  }

  // ------------------------------------------------------------------ pages other than the form

  // Signed out: nothing of the previous rater stays on the phone.
  if (document.querySelector("[data-score-left]")) {
    forget(PREFIX);
    clearCaches();
    unregisterWorkers();
  }

  // Drafts of sessions that no longer take them (submitted, recused), named by the server.
  Array.prototype.forEach.call(document.querySelectorAll("[data-score-clear]"), function (el) {
    (el.getAttribute("data-score-clear") || "").split(/\s+/).forEach(function (key) {
      if (key.indexOf(PREFIX) === 0) store.remove(key);
    });
  });

  // My sessions: another rater joined on this phone → the cached pages of the previous one go.
  var head = document.querySelector("[data-score-rater]");
  if (head) {
    var tag = head.getAttribute("data-score-rater");
    var ready = Promise.resolve();
    if (store.get(PREFIX + "rater") !== tag) {
      ready = clearCaches();
      store.set(PREFIX + "rater", tag);
    }
    ready.then(function () { registerWorker(head.getAttribute("data-sw-url")); });
  }

  var leaveForm = document.querySelector("[data-leave-form]");
  if (leaveForm) {
    leaveForm.addEventListener("submit", function (event) {
      var unsent = store.keys().some(function (key) {
        return key && key.indexOf(PREFIX) === 0 && isPending(parseJSON(store.get(key), null));
      });
      if (unsent && !window.confirm(leaveForm.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopPropagation();
      }
    });
  }

  var form = document.querySelector("form.sc-form");
  if (!form) return;

  // ------------------------------------------------------------------ the scorecard

  var key = form.getAttribute("data-draft-key");
  var editable = form.getAttribute("data-editable") === "1";
  var sessionState = form.getAttribute("data-session-state");
  var apiUrl = form.getAttribute("data-api-url");
  var changesUrl = form.getAttribute("data-changes-url");
  var submitUrl = form.getAttribute("data-submit-url");
  var csrfInput = form.querySelector("input[name=csrf_token]");
  var csrf = csrfInput ? csrfInput.value : "";
  var textsEl = document.querySelector("[data-score-texts]");
  var T = textsEl ? textsEl.dataset : {};
  var statusEl = form.querySelector("[data-status]");
  var submitButton = form.querySelector("[data-submit]");
  var saveButton = form.querySelector("[data-save]");
  var fieldset = form.querySelector("fieldset");

  function fill(template, values) {
    return (template || "").replace(/%\((\w+)\)s/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match;
    });
  }

  function numberText(value) {
    if (value === null || value === undefined) return "";
    return String(Math.round(value * 1000) / 1000);
  }

  var crits = {};
  var order = [];
  Array.prototype.forEach.call(form.querySelectorAll(".sc-crit[data-criterion]"), function (box) {
    var code = box.getAttribute("data-criterion");
    var area = box.closest("[data-area]");
    crits[code] = {
      code: code,
      box: box,
      area: area ? area.getAttribute("data-area") : "",
      max: parseFloat(box.getAttribute("data-max")),
      step: parseFloat(box.getAttribute("data-step")),
      maxText: box.getAttribute("data-max"),
      stepText: box.getAttribute("data-step"),
      input: box.querySelector("input.sc-points"),
      cannot: box.querySelector("input[type=checkbox]"),
      quick: box.querySelector("[data-quick]"),
      errors: box.querySelector("[data-errors]")
    };
    order.push(code);
  });
  var commentBoxes = {};
  Array.prototype.forEach.call(form.querySelectorAll("[data-comment]"), function (box) {
    commentBoxes[box.getAttribute("data-comment")] = box.querySelector("textarea");
  });
  var areaEls = Array.prototype.slice.call(form.querySelectorAll(".sc-area[data-area]"));

  // ------------------------------------------------------------------ the draft

  function freshDraft() {
    return { v: 1, at: Date.now(), entries: {}, comments: {}, acked: { entries: {}, comments: {} }, blocked: {} };
  }

  function loadDraft() {
    var draft = parseJSON(store.get(key), null);
    if (!draft || typeof draft !== "object" || draft.v !== 1) return freshDraft();
    ["entries", "comments", "blocked"].forEach(function (name) {
      if (!draft[name] || typeof draft[name] !== "object") draft[name] = {};
    });
    if (!draft.acked || typeof draft.acked !== "object") draft.acked = {};
    if (!draft.acked.entries) draft.acked.entries = {};
    if (!draft.acked.comments) draft.acked.comments = {};
    return draft;
  }

  var draft = loadDraft();
  var finished = false;

  function saveDraft() {
    if (finished) return;
    draft.at = Date.now();
    store.set(key, JSON.stringify(draft));
  }

  function cleanText(text) {
    return (text || "").replace(/\r\n?/g, "\n").trim();
  }

  // Take what the server holds where it is as new as the phone's or newer. Returns the changed items.
  function adopt(state) {
    var changed = { entries: [], comments: [] };
    if (!state || typeof state !== "object") return changed;
    var entries = state.entries || {};
    Object.keys(entries).forEach(function (code) {
      var theirs = entries[code];
      var version = theirs.version || 0;
      if ((draft.acked.entries[code] || 0) < version) draft.acked.entries[code] = version;
      var mine = draft.entries[code];
      if (!mine || version >= mine.version) {
        var points = theirs.points === null || theirs.points === undefined ? null : Number(theirs.points);
        var cannot = !!theirs.cannot_judge;
        if (!mine || mine.points !== points || mine.cannot_judge !== cannot) changed.entries.push(code);
        draft.entries[code] = { points: points, cannot_judge: cannot, version: version };
        delete draft.blocked[code];
      }
    });
    var comments = state.comments || {};
    Object.keys(comments).forEach(function (area) {
      var theirs = comments[area];
      var version = theirs.version || 0;
      if ((draft.acked.comments[area] || 0) < version) draft.acked.comments[area] = version;
      var mine = draft.comments[area];
      if (!mine || version >= mine.version) {
        if (!mine || mine.text !== theirs.text) changed.comments.push(area);
        draft.comments[area] = { text: theirs.text || "", version: version };
        delete draft.blocked["comment:" + area];
      }
    });
    return changed;
  }

  function pending() {
    var entries = [];
    var comments = [];
    order.forEach(function (code) {
      var e = draft.entries[code];
      if (e && e.version > (draft.acked.entries[code] || 0) && draft.blocked[code] !== e.version) {
        entries.push({ criterion: code, points: e.cannot_judge ? null : e.points, cannot_judge: !!e.cannot_judge,
                       version: e.version });
      }
    });
    Object.keys(commentBoxes).forEach(function (area) {
      var c = draft.comments[area];
      if (c && c.version > (draft.acked.comments[area] || 0) && draft.blocked["comment:" + area] !== c.version) {
        comments.push({ area: area, text: c.text, version: c.version });
      }
    });
    return { entries: entries, comments: comments };
  }

  function pendingCount() {
    var p = pending();
    return p.entries.length + p.comments.length;
  }

  // ------------------------------------------------------------------ reading and showing values

  // undefined: not a valid score; null: empty; otherwise the number.
  function parsePoints(c) {
    if (c.input.validity && c.input.validity.badInput) return undefined;
    var text = c.input.value || "";
    if (text.normalize) text = text.normalize("NFKC");
    text = text.replace(/\s+/g, "").replace(",", ".");
    if (!text) return null;
    if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) return undefined;
    var value = parseFloat(text);
    if (!isFinite(value) || value < 0 || value > c.max + EPSILON) return undefined;
    var ratio = value / c.step;
    if (Math.abs(ratio - Math.round(ratio)) > EPSILON) return undefined;
    return value;
  }

  var invalid = {};

  function showError(code, message) {
    var c = crits[code];
    if (!c || !c.errors) return;
    c.errors.innerHTML = "";
    var item = document.createElement("li");
    item.textContent = message;
    c.errors.appendChild(item);
    c.errors.hidden = false;
    c.box.classList.add("has-error");
    c.input.setAttribute("aria-invalid", "true");
  }

  function clearError(code) {
    var c = crits[code];
    if (!c || !c.errors) return;
    c.errors.innerHTML = "";
    c.errors.hidden = true;
    c.box.classList.remove("has-error");
    c.input.setAttribute("aria-invalid", "false");
  }

  function showEntry(code) {
    var c = crits[code];
    var e = draft.entries[code];
    if (!c) return;
    var points = e && !e.cannot_judge && e.points !== null && e.points !== undefined ? e.points : null;
    var current = parsePoints(c);
    if (current === undefined || current !== points) c.input.value = points === null ? "" : numberText(points);
    c.cannot.checked = !!(e && e.cannot_judge);
    delete invalid[code];
    clearError(code);
  }

  function showComment(area) {
    var box = commentBoxes[area];
    var c = draft.comments[area];
    if (box && c && cleanText(box.value) !== c.text) box.value = c.text;
  }

  function render() {
    var totals = {};
    var done = {};
    var all = 0;
    var filled = 0;
    order.forEach(function (code) {
      var c = crits[code];
      var e = draft.entries[code];
      var has = !!e && (e.cannot_judge || (e.points !== null && e.points !== undefined));
      totals[c.area] = totals[c.area] || 0;
      done[c.area] = done[c.area] || 0;
      if (has && !invalid[code]) {
        done[c.area] += 1;
        filled += 1;
        if (!e.cannot_judge) {
          totals[c.area] += Math.round(e.points * 1000);
          all += Math.round(e.points * 1000);
        }
      }
      c.box.classList.toggle("is-cannot", !!(e && e.cannot_judge));
      if (c.quick) {
        var current = e && !e.cannot_judge && e.points !== null && e.points !== undefined ? e.points : null;
        Array.prototype.forEach.call(c.quick.querySelectorAll("[data-value]"), function (button) {
          var on = current !== null && Math.abs(parseFloat(button.getAttribute("data-value")) - current) < EPSILON;
          button.setAttribute("aria-pressed", on ? "true" : "false");
        });
      }
    });
    areaEls.forEach(function (el) {
      var area = el.getAttribute("data-area");
      var count = el.querySelectorAll(".sc-crit[data-criterion]").length;
      var totalEl = el.querySelector("[data-area-total]");
      var doneEl = el.querySelector("[data-area-done]");
      if (totalEl) totalEl.textContent = numberText((totals[area] || 0) / 1000);
      if (doneEl) doneEl.textContent = (done[area] || 0) + "/" + count;
      el.classList.toggle("is-complete", (done[area] || 0) === count);
    });
    var totalEl = form.querySelector("[data-total]");
    if (totalEl) totalEl.textContent = numberText(all / 1000);
    var filledEl = form.querySelector("[data-filled]");
    if (filledEl) filledEl.textContent = String(filled);
    if (submitButton) {
      var left = order.length - filled;
      submitButton.disabled = !editable || stopped !== null || submitting || left > 0;
      submitButton.title = left > 0 ? fill(T.left, { n: left }) : "";
    }
    showStatus();
  }

  // ------------------------------------------------------------------ status line

  var inFlight = false;
  var submitting = false;
  var stopped = null;
  var retrying = false;
  var unavailable = false;  // the last attempt was answered 503: the server cannot save right now
  var note = null;

  function showStatus() {
    if (!statusEl) return;
    var text;
    var state;
    var count = pendingCount();
    if (stopped !== null) {
      text = stopped;
      state = "error";
    } else if (submitting) {
      text = T.submitting;
      state = "sending";
    } else if (count === 0) {
      text = T.saved;
      state = "saved";
    } else if (navigator.onLine === false) {
      text = T.offline;
      state = "offline";
    } else if (inFlight) {
      text = T.sending;
      state = "sending";
    } else if (retrying) {
      text = unavailable ? T.unavailable : T.retrying;
      state = "retrying";
    } else {
      text = T.pending;
      state = "pending";
    }
    if (note && stopped === null) text = note + " " + text;
    statusEl.textContent = text;
    statusEl.setAttribute("data-state", state);
    statusEl.setAttribute("data-pending", String(count));
    statusEl.hidden = false;
  }

  function lock(message) {
    stopped = message || "";
    editable = false;
    window.clearTimeout(timer);
    if (fieldset) fieldset.disabled = true;
    render();
  }

  // ------------------------------------------------------------------ talking to the server

  function request(method, url, body) {
    var options = { method: method, credentials: "same-origin", cache: "no-store",
                    headers: { "Accept": "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrf;
      options.body = JSON.stringify(body);
    }
    return window.fetch(url, options).then(function (response) {
      var retryAfter = response.headers.get("Retry-After");
      return response.json().then(function (data) {
        return { status: response.status, data: data || {}, retryAfter: retryAfter };
      }, function () {
        return { status: response.status, data: {}, retryAfter: retryAfter };
      });
    });
  }

  // Answers that say "not now" rather than "no": the queue stays and is sent again later.
  function retryable(res) {
    return res.status === 429 || res.status >= 500 || res.status === 0;
  }

  // The server's state and a fresh CSRF token; adopts what the server holds as new or newer.
  // Rejects with the answer attached (error.response) when it is only "not now".
  function refresh() {
    return request("GET", apiUrl).then(function (res) {
      var d = res.data;
      if (res.status !== 200 && retryable(res)) {
        var later = new Error("not now");
        later.response = res;
        throw later;
      }
      if (res.status !== 200) {
        refused(res);
        throw new Error("refused");
      }
      if (d.csrf_token) {
        csrf = d.csrf_token;
        if (csrfInput) csrfInput.value = csrf;
      }
      var changed = adopt(d.scorecard);
      changed.entries.forEach(showEntry);
      changed.comments.forEach(showComment);
      saveDraft();
      var state = d.session && d.session.state;
      if (d.scorecard && d.scorecard.status === "submitted") {
        finished = true;
        store.remove(key);
        lock(T.submitted || "");
        window.location.reload();
      } else if (editable && state && state !== "open") {
        lock(state === "recused" ? (d.reasons || []).join("; ") : "");
        window.location.reload();
      }
      render();
      return d;
    });
  }

  var timer = null;
  var backoff = 0;
  var csrfRetried = false;
  var staleRounds = 0;

  function schedule(delay) {
    if (stopped !== null || !editable) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, delay);
  }

  // Seconds in the answer's Retry-After (the server's own estimate), as a pause in ms; null if none.
  function askedPause(res) {
    var seconds = res && res.retryAfter !== null && res.retryAfter !== undefined ? Number(res.retryAfter) : NaN;
    if (!isFinite(seconds) || seconds < 0) return null;
    return Math.min(Math.max(seconds * 1000, FIRST_RETRY_MS), MAX_RETRY_MS);
  }

  // res: the server's answer (429, 5xx), or nothing when the request did not get through.
  function retryLater(res) {
    backoff = backoff ? Math.min(backoff * 2, MAX_RETRY_MS) : FIRST_RETRY_MS;
    retrying = true;
    unavailable = !!res && res.status === 503;
    showStatus();
    var asked = askedPause(res);
    schedule(asked === null ? backoff : asked);
  }

  function retryAfterFailure(error) {
    if (stopped === null) retryLater(error && error.response);
  }

  function flush() {
    window.clearTimeout(timer);
    timer = null;
    if (inFlight || submitting || stopped !== null || !editable) return;
    var body = pending();
    if (!body.entries.length && !body.comments.length) {
      retrying = false;
      showStatus();
      return;
    }
    if (navigator.onLine === false) {
      showStatus();
      schedule(MAX_RETRY_MS);  // the "online" event sends the queue sooner
      return;
    }
    inFlight = true;
    showStatus();
    request("POST", changesUrl, body).then(function (res) {
      inFlight = false;
      if (res.status === 200) {
        backoff = 0;
        retrying = false;
        unavailable = false;
        csrfRetried = false;
        staleRounds = 0;
        var changed = adopt(res.data.scorecard);
        changed.entries.forEach(showEntry);
        changed.comments.forEach(showComment);
        saveDraft();
        render();
        if (pendingCount()) schedule(200);
        return;
      }
      if (!handleRefusal(res, function () { schedule(0); })) refused(res);
    }, function () {
      inFlight = false;
      retryLater();
    });
  }

  // Refusals a retry can get past: an expired token, a stale version, a refused value.
  // Returns false when the caller should give up (refused() explains why).
  function handleRefusal(res, again) {
    var d = res.data || {};
    if (res.status === 400 && d.code === "csrf" && !csrfRetried) {
      csrfRetried = true;
      refresh().then(again, retryAfterFailure);
      return true;
    }
    if (res.status === 409 && d.code === "stale" && staleRounds < 3) {
      staleRounds += 1;
      refresh().then(function () {
        note = T.stale;
        // Whatever the server holds at the same version is kept; ours goes only when newer.
        if (d.criterion && draft.entries[d.criterion] &&
            draft.entries[d.criterion].version <= (d.stored_version || 0)) {
          draft.blocked[d.criterion] = draft.entries[d.criterion].version;
        }
        if (d.area && draft.comments[d.area] && draft.comments[d.area].version <= (d.stored_version || 0)) {
          draft.blocked["comment:" + d.area] = draft.comments[d.area].version;
        }
        saveDraft();
        render();
        again();
      }, retryAfterFailure);
      return true;
    }
    if (res.status === 400 && d.code === "invalid_score" && (d.criterion || d.area)) {
      if (d.criterion && draft.entries[d.criterion]) {
        draft.blocked[d.criterion] = draft.entries[d.criterion].version;
        showError(d.criterion, d.error || "");
      } else if (d.area && draft.comments[d.area]) {
        draft.blocked["comment:" + d.area] = draft.comments[d.area].version;
      } else {
        return false;
      }
      saveDraft();
      render();
      again();
      return true;
    }
    if (retryable(res)) {
      retryLater(res);
      return true;
    }
    return false;
  }

  // Refusals that stop the sending: not joined, recused, not on the panel, closed, submitted.
  function refused(res) {
    var d = res.data || {};
    if (res.status === 401) {
      lock(T.notJoined);
    } else if (res.status === 409 && (d.code === "session_not_open" || d.code === "session_closed")) {
      lock(d.error || "");  // the draft stays on the phone; the page comes back when scoring opens again
      startPolling(d.code === "session_closed" ? "closed" : "scheduled");
    } else if (res.status === 403 || res.status === 409) {
      lock(d.error || fill(T.failed, { error: res.status }));
    } else {
      stopped = fill(T.failed, { error: d.error || res.status });
      render();
    }
  }

  var polling = false;

  // While scoring is not open: reload when the session's state changes (staff open it).
  function startPolling(from) {
    if (polling) return;
    polling = true;
    window.setInterval(function () {
      if (navigator.onLine === false) return;
      request("GET", apiUrl).then(function (res) {
        var state = res.data && res.data.session && res.data.session.state;
        if (res.status === 200 && state && state !== from) window.location.reload();
      }, function () { /* try again at the next tick */ });
    }, POLL_MS);
  }

  // ------------------------------------------------------------------ editing

  function setEntry(code, points, cannot) {
    var current = draft.entries[code];
    if (current && current.points === points && !!current.cannot_judge === cannot) return false;
    if (!current && points === null && !cannot) return false;
    var base = Math.max(current ? current.version : 0, draft.acked.entries[code] || 0);
    draft.entries[code] = { points: points, cannot_judge: cannot, version: base + 1 };
    delete draft.blocked[code];
    return true;
  }

  function changed() {
    note = null;
    saveDraft();
    render();
    schedule(DEBOUNCE_MS);
  }

  function readEntry(code) {
    var c = crits[code];
    var value = parsePoints(c);
    if (value === undefined) {
      invalid[code] = true;
      showError(code, c.code + ": " + fill(T.invalid, { max: c.maxText, step: c.stepText }));
      render();
      return;
    }
    delete invalid[code];
    clearError(code);
    if (value !== null) c.cannot.checked = false;
    setEntry(code, value, value === null ? c.cannot.checked : false);
    changed();
  }

  order.forEach(function (code) {
    var c = crits[code];
    c.input.addEventListener("input", function () { readEntry(code); });
    c.input.addEventListener("change", function () { readEntry(code); });
    c.cannot.addEventListener("change", function () {
      if (c.cannot.checked) {
        c.input.value = "";
        delete invalid[code];
        clearError(code);
        setEntry(code, null, true);
        changed();
      } else {
        readEntry(code);
      }
    });
    if (c.quick) {
      c.quick.hidden = !editable;
      c.quick.addEventListener("click", function (event) {
        var button = event.target.closest("[data-value]");
        if (!button || !editable) return;
        c.input.value = button.getAttribute("data-value");
        readEntry(code);
      });
    }
  });

  Object.keys(commentBoxes).forEach(function (area) {
    var box = commentBoxes[area];
    if (!box) return;
    box.addEventListener("input", function () {
      var text = cleanText(box.value);
      var current = draft.comments[area];
      if (current ? current.text === text : text === "") return;
      var base = Math.max(current ? current.version : 0, draft.acked.comments[area] || 0);
      draft.comments[area] = { text: text, version: base + 1 };
      delete draft.blocked["comment:" + area];
      changed();
    });
  });

  // ------------------------------------------------------------------ submitting

  function whenIdle() {
    return new Promise(function (resolve) {
      (function wait() {
        if (!inFlight) resolve();
        else window.setTimeout(wait, 100);
      })();
    });
  }

  function firstMissing() {
    for (var i = 0; i < order.length; i++) {
      var e = draft.entries[order[i]];
      if (invalid[order[i]] || !e || (!e.cannot_judge && (e.points === null || e.points === undefined))) return order[i];
    }
    return null;
  }

  function reveal(code) {
    var c = crits[code];
    if (!c) return;
    var area = c.box.closest("details");
    if (area) area.open = true;
    c.input.focus();
  }

  var submitRetried = false;

  // After submitting, the copies of the editable page kept for offline reloads are out of date.
  function forgetCachedCopies() {
    if (!window.caches) return Promise.resolve();
    var urls = [window.location.href.split("#")[0], new URL(apiUrl, window.location.href).href];
    var cleared = window.caches.open(CACHE).then(function (cache) {
      return Promise.all(urls.map(function (url) { return cache.delete(url); }));
    }).catch(function () { /* nothing kept */ });
    var enough = new Promise(function (resolve) { window.setTimeout(resolve, 1000); });
    return Promise.race([cleared, enough]);
  }

  function submit() {
    submitting = true;
    window.clearTimeout(timer);
    render();
    whenIdle().then(function () {
      return request("POST", submitUrl, pending());
    }).then(function (res) {
      submitting = false;
      var d = res.data || {};
      if (res.status === 200 && d.receipt_url) {
        finished = true;
        store.remove(key);
        forgetCachedCopies().then(function () { window.location.assign(d.receipt_url); });
        return;
      }
      if (res.status === 400 && d.code === "incomplete") {
        (d.missing || []).forEach(function (code) { showError(code, d.error || T.incomplete); });
        if (d.missing && d.missing.length) reveal(d.missing[0]);
        note = d.error || T.incomplete;
        render();
        return;
      }
      if (res.status === 400 && d.code === "csrf" && !submitRetried) {
        submitRetried = true;
        refresh().then(submit, function () { render(); });
        return;
      }
      if (res.status === 409 && d.code === "stale") {
        refresh().then(function () { note = T.stale; render(); }, function () { render(); });
        return;
      }
      if (res.status === 409 && d.code === "submitted") {
        refresh().catch(function () { /* refused() said why */ });
        return;
      }
      if (res.status === 400 && d.code === "invalid_score" && d.criterion) {
        showError(d.criterion, d.error || "");
        reveal(d.criterion);
        render();
        return;
      }
      if (res.status === 429 || res.status >= 500) {
        note = T.submitOffline;
        render();
        return;
      }
      refused(res);
    }, function () {
      submitting = false;
      note = T.submitOffline;
      render();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    event.stopPropagation();  // kaimen.js's double-send guard is for plain form posts
    if (!editable || submitting || stopped !== null) return;
    var missing = firstMissing();
    if (missing) {
      note = T.incomplete;
      render();
      reveal(missing);
      return;
    }
    submitRetried = false;
    submit();
  });

  // ------------------------------------------------------------------ start

  if (saveButton) saveButton.hidden = true;

  if (!editable) {
    if (sessionState === "submitted") {
      finished = true;
      store.remove(key);
    } else if (sessionState === "scheduled" || sessionState === "closed") {
      startPolling(sessionState);
      if (sessionState === "closed" && isPending(draft)) {
        var unsent = document.createElement("p");
        unsent.className = "notice notice-closed";
        unsent.setAttribute("data-testid", "unsent-closed");
        unsent.textContent = T.unsentClosed || "";
        form.parentNode.insertBefore(unsent, form);
      }
    }
    return;
  }

  // What the page was rendered with (possibly from the offline cache), then the phone's draft.
  var hadDraft = isPending(draft);
  adopt(parseJSON(form.getAttribute("data-state"), {}));
  order.forEach(showEntry);
  Object.keys(commentBoxes).forEach(showComment);
  saveDraft();
  if (hadDraft && pendingCount()) note = T.restored;
  render();

  window.addEventListener("online", function () {
    backoff = 0;
    retrying = false;
    showStatus();
    refresh().then(function () { schedule(0); }, retryAfterFailure);
  });
  window.addEventListener("offline", showStatus);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden" && pendingCount()) flush();
  });

  if (navigator.onLine !== false) {
    refresh().then(function () { schedule(0); }, retryAfterFailure);
  }

  // The service worker keeps this page, its assets and the session's JSON for offline reloads.
  registerWorker(form.getAttribute("data-sw-url")).then(function (registration) {
    if (!registration || !window.caches) return null;
    if (navigator.serviceWorker.controller) return null;  // it caches what it serves from now on
    if (navigator.onLine === false) return null;
    return window.caches.open(CACHE).then(function (cache) {
      return cache.addAll([window.location.pathname, apiUrl]);
    });
  }).then(function () {
    form.setAttribute("data-offline-ready", "1");
  }, function () {
    form.setAttribute("data-offline-ready", "0");
  });
})();
