// The projector screen of a report session (templates/staff/rounds/live.html).
// The page is complete when served; this script asks live.json for news every few
// seconds and redraws the counts and the raters. The payload carries states and
// counts only, never a score. Text is set with textContent: names and reasons are
// data, not markup. When a poll fails, the last state stays on screen under a
// "connection lost, retrying" line until a poll succeeds again.
(function () {
  "use strict";

  var MAX_DELAY_MS = 10000;
  var TIMEOUT_MS = 8000;

  function grid(count) {
    var cols = count <= 8 ? 2 : count <= 15 ? 3 : count <= 24 ? 4 : 5;
    var rows = Math.min(10, Math.max(4, Math.ceil(count / cols)));
    return { cols: cols, rows: rows };
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function clock() {
    var now = new Date();
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
  }

  function setText(id, text) {
    var element = document.getElementById(id);
    if (element && element.textContent !== String(text)) element.textContent = String(text);
  }

  function start(root) {
    var labels = root.dataset;
    var url = root.dataset.url;
    var interval = parseInt(root.dataset.poll, 10) || 3000;
    var list = document.getElementById("live-rows");
    var offline = document.getElementById("live-offline");
    var failures = 0;

    function rowText(row, closed) {
      switch (row.state) {
        case "submitted":
          return fill(labels.lSubmitted, { time: row.submitted_time || "" }).trim();
        case "scoring":
          return (closed ? labels.lUnfinished : labels.lScoring) + " · " +
            fill(labels.lFilled, { filled: row.filled, total: row.total });
        case "not_started":
          return labels.lNotStarted;
        case "recused":
          return labels.lRecused + (row.reasons && row.reasons.length ? ": " + row.reasons.join("; ") : "");
        default:
          return "";
      }
    }

    function item(row, closed) {
      var li = document.createElement("li");
      var shown = row.state === "scoring" && closed ? "unfinished" : row.state;
      li.className = "rater state-" + shown;
      li.dataset.rater = String(row.rater_id);
      var mark = document.createElement("span");
      mark.className = "rater-mark";
      mark.setAttribute("aria-hidden", "true");
      var name = document.createElement("span");
      name.className = "rater-name";
      name.textContent = row.name;
      var state = document.createElement("span");
      state.className = "rater-state";
      state.textContent = rowText(row, closed);
      li.appendChild(mark);
      li.appendChild(name);
      li.appendChild(state);
      if (row.state === "scoring") {
        var progress = document.createElement("progress");
        progress.className = "rater-progress";
        progress.max = row.total;
        progress.value = row.filled;
        li.appendChild(progress);
      }
      return li;
    }

    function render(data) {
      var status = data.session.status;
      var closed = status === "closed";
      var statusLine = document.getElementById("live-status");
      statusLine.className = "live-status status-" + status;
      setText("live-status", labels["lStatus" + status.charAt(0).toUpperCase() + status.slice(1)] || status);
      setText("count-submitted", data.counts.submitted);
      setText("count-total", data.total);
      setText("count-scoring", data.counts.scoring);
      setText("count-not_started", data.counts.not_started);
      setText("count-recused", data.counts.recused);
      setText("label-scoring", closed ? labels.lCountUnfinished : labels.lCountScoring);
      if (data.rows.length) {
        var layout = grid(data.rows.length);
        list.dataset.cols = String(layout.cols);
        list.dataset.rows = String(layout.rows);
        var fragment = document.createDocumentFragment();
        data.rows.forEach(function (row) { fragment.appendChild(item(row, closed)); });
        list.replaceChildren(fragment);
      }
      setText("live-updated", fill(labels.lUpdated, { time: clock() }));
    }

    function problem(message) {
      offline.textContent = message;
      offline.hidden = false;
      root.classList.add("is-offline");
    }

    function recovered() {
      offline.hidden = true;
      root.classList.remove("is-offline");
    }

    function schedule() {
      var delay = failures ? Math.min(MAX_DELAY_MS, interval * Math.pow(2, failures - 1)) : interval;
      window.setTimeout(poll, delay);
    }

    function poll() {
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = controller ? window.setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
      fetch(url, {
        credentials: "same-origin",
        cache: "no-store",
        redirect: "manual",
        headers: { Accept: "application/json" },
        signal: controller ? controller.signal : undefined
      })
        .then(function (response) {
          if (response.type === "opaqueredirect" || response.status === 401 || response.status === 403) {
            var signedOut = new Error("signed out");
            signedOut.signedOut = true;
            throw signedOut;
          }
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          if (!data || !data.session || !data.counts || !Array.isArray(data.rows)) throw new Error("bad payload");
          render(data);
          failures = 0;
          recovered();
        })
        .catch(function (error) {
          failures += 1;
          problem(error && error.signedOut ? labels.lSignedOut : labels.lOffline);
        })
        .then(function () {
          if (timer) window.clearTimeout(timer);
          schedule();
        });
    }

    setText("live-updated", fill(labels.lUpdated, { time: clock() }));
    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("live");
    if (root && root.dataset.url && window.fetch) start(root);
  });
})();
