// Kaimen answering pages: progressive enhancement for phones on poor connections.
// Everything here is optional: without JavaScript all questions are shown, the server
// drops answers to questions that turn out hidden, and it validates every page.
//
// 1. Shows and hides questions whose condition reads a question on the same page
//    (the evaluator mirrors forms/questionnaire/conditions.py).
// 2. Keeps the page's unsent values in localStorage while the respondent types, and
//    restores them after a reload or a dropped connection unless the server has saved
//    something newer; forgets them once the server has saved the page.
// 3. Checks the page in the browser before sending and blocks a second send.
// 4. Counts choices against a multiple choice question's maximum.
(function () {
  "use strict";

  var DRAFT_PREFIX = "kaimen:draft:";
  var DRAFT_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
  var RESEND_AFTER_MS = 8000;

  // ------------------------------------------------------------------ conditions

  var NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

  function own(object, key) {
    return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
  }

  function asNumber(value) {
    if (typeof value === "number") return value;
    if (typeof value === "string" && NUMBER_TEXT.test(value.trim())) return parseFloat(value);
    return null;
  }

  function present(answer) {
    if (answer === null || answer === undefined || answer === "") return false;
    if (Array.isArray(answer)) return answer.length > 0;
    if (typeof answer === "object") return Object.keys(answer).length > 0;
    return true;
  }

  function scalar(answer) {
    if (answer !== null && typeof answer === "object" && !Array.isArray(answer) && own(answer, "option") !== undefined) {
      return answer.option;
    }
    return answer;
  }

  function compare(answer, op, value) {
    if (answer === null || typeof answer === "object" || typeof answer === "boolean") return false;
    var left = answer;
    var right = value;
    if (typeof answer === "number" || typeof value === "number") {
      left = asNumber(answer);
      right = asNumber(value);
      if (left === null || right === null) return false;
    }
    switch (op) {
      case "eq": return left === right;
      case "ne": return left !== right;
      case "lt": return left < right;
      case "le": return left <= right;
      case "gt": return left > right;
      case "ge": return left >= right;
    }
    return false;
  }

  // A condition is false when its question is unanswered (even "ne"); "not" is plain negation.
  function evaluate(condition, answers) {
    if (condition === null || condition === undefined) return true;
    var op = condition.op;
    if (op === "not") return !evaluate(condition.condition, answers);
    if (op === "and") return condition.conditions.every(function (c) { return evaluate(c, answers); });
    if (op === "or") return condition.conditions.some(function (c) { return evaluate(c, answers); });
    var answer = own(answers, condition.question);
    if (!present(answer)) return false;
    if (op === "answered") return true;
    if (op === "selected") {
      if (Array.isArray(answer)) {
        return answer.some(function (item) { return scalar(item) === condition.option; });
      }
      return compare(scalar(answer), "eq", condition.option);
    }
    answer = scalar(answer);
    if (op === "in") return condition.values.some(function (v) { return compare(answer, "eq", v); });
    return compare(answer, op, condition.value);
  }

  // For tests and other pages (the staff preview could use it too).
  window.KaimenConditions = { evaluate: evaluate };

  // ------------------------------------------------------------------ storage

  var store = {
    get: function (key) {
      try { return window.localStorage.getItem(key); } catch (e) { return null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(key, value); } catch (e) { /* full, or private mode */ }
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

  function forgetDrafts(prefix, olderThan) {
    store.keys().forEach(function (key) {
      if (!key || key.indexOf(prefix) !== 0) return;
      if (olderThan) {
        var draft = null;
        try { draft = JSON.parse(store.get(key)); } catch (e) { draft = null; }
        if (draft && typeof draft.at === "number" && draft.at > olderThan) return;
      }
      store.remove(key);
    });
  }

  forgetDrafts(DRAFT_PREFIX, Date.now() - DRAFT_MAX_AGE_MS);
  var receipt = document.querySelector("[data-clear-drafts]");
  if (receipt && receipt.getAttribute("data-clear-drafts")) {
    forgetDrafts(receipt.getAttribute("data-clear-drafts"));
  }

  var form = document.querySelector("form.rq-form");
  if (!form) return;

  // ------------------------------------------------------------------ reading answers

  var known = {};
  try { known = JSON.parse(form.getAttribute("data-known") || "{}") || {}; } catch (e) { known = {}; }
  var boxes = Array.prototype.slice.call(form.querySelectorAll(".rq[data-question]"));
  boxes.forEach(function (box) {
    var text = box.getAttribute("data-show-if");
    box.rqCondition = null;
    if (text) {
      try { box.rqCondition = JSON.parse(text); } catch (e) { box.rqCondition = null; }
    }
  });

  function inputsOf(box, name) {
    return Array.prototype.filter.call(box.querySelectorAll("input, select, textarea"), function (el) {
      return el.name === name;
    });
  }

  function checkedValues(box, name) {
    return inputsOf(box, name).filter(function (el) { return el.checked; }).map(function (el) { return el.value; });
  }

  function cleanText(value) {
    return (value || "").replace(/\r\n?/g, "\n").trim();
  }

  function readNumber(box, raw) {
    var text = cleanText(raw);
    if (text.normalize) text = text.normalize("NFKC");
    text = text.replace(/ /g, "");
    if (!text) return undefined;
    var value;
    if (box.getAttribute("data-integer") === "1") {
      if (!/^[+-]?\d{1,30}$/.test(text)) return undefined;
      value = parseInt(text, 10);
    } else {
      if (text.length > 40 || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/.test(text)) return undefined;
      value = parseFloat(text);
    }
    if (!isFinite(value) || Math.abs(value) >= 1e15) return undefined;
    var low = box.getAttribute("data-min");
    var high = box.getAttribute("data-max");
    if (low !== null && value < parseFloat(low)) return undefined;
    if (high !== null && value > parseFloat(high)) return undefined;
    return value;
  }

  // The canonical answer a question's inputs hold now, or undefined when unanswered or invalid.
  function readAnswer(box) {
    var qid = box.getAttribute("data-question");
    var type = box.getAttribute("data-type");
    var values;
    switch (type) {
      case "single_choice":
        values = checkedValues(box, qid);
        return values.length === 1 ? values[0] : undefined;
      case "multiple_choice":
        values = checkedValues(box, qid);
        return values.length ? values : undefined;
      case "rating":
        values = checkedValues(box, qid);
        return values.length === 1 && /^[+-]?\d{1,6}$/.test(values[0]) ? parseInt(values[0], 10) : undefined;
      case "matrix": {
        var rows = {};
        var any = false;
        Array.prototype.forEach.call(box.querySelectorAll("input[type=radio]"), function (el) {
          if (el.checked && el.name.indexOf(qid + "__") === 0) {
            rows[el.name.slice(qid.length + 2)] = parseInt(el.value, 10);
            any = true;
          }
        });
        return any ? rows : undefined;
      }
      case "ranking": {
        var picked = Array.prototype.map.call(box.querySelectorAll("select"), function (el) { return el.value; });
        var seen = {};
        for (var i = 0; i < picked.length; i++) {
          if (!picked[i] || seen[picked[i]]) return undefined;
          seen[picked[i]] = true;
        }
        return picked.length ? picked : undefined;
      }
      case "number":
        values = inputsOf(box, qid);
        return values.length ? readNumber(box, values[0].value) : undefined;
      case "date":
        values = inputsOf(box, qid);
        if (!values.length || !/^\d{4}-\d{2}-\d{2}$/.test(values[0].value)) return undefined;
        return isNaN(Date.parse(values[0].value)) ? undefined : values[0].value;
      default: {
        values = inputsOf(box, qid);
        var text = values.length ? cleanText(values[0].value) : "";
        return text ? text : undefined;
      }
    }
  }

  // ------------------------------------------------------------------ 1. live show and hide

  function setShown(box, shown) {
    if (box.hidden === !shown) return;
    box.hidden = !shown;
    // Disabled inputs are neither sent nor checked; the server would drop them anyway.
    Array.prototype.forEach.call(box.querySelectorAll("input, select, textarea"), function (el) {
      el.disabled = !shown;
    });
  }

  // Walk the page in order, as the server does: a question's condition sees earlier pages'
  // answers and the answers of the questions shown above it on this page.
  function refreshVisibility() {
    var answers = {};
    Object.keys(known).forEach(function (key) { answers[key] = known[key]; });
    boxes.forEach(function (box) {
      var shown = evaluate(box.rqCondition, answers);
      if (box.hasAttribute("data-show-if")) setShown(box, shown);
      if (!shown) return;
      var answer = readAnswer(box);
      if (answer !== undefined) answers[box.getAttribute("data-question")] = answer;
    });
  }

  // ------------------------------------------------------------------ 4. choice counts

  function refreshCounts() {
    boxes.forEach(function (box) {
      var max = parseInt(box.getAttribute("data-max-selections") || "0", 10);
      var out = box.querySelector("[data-count-for]");
      if (!max || !out) return;
      var chosen = checkedValues(box, box.getAttribute("data-question")).length;
      var template = box.getAttribute(chosen > max ? "data-too-many" : "data-count-text") || "";
      out.textContent = chosen ? template.replace("{n}", String(chosen)) : "";
      box.classList.toggle("rq-over", chosen > max);
    });
  }

  // "Please specify" typed: tick the "other" option it belongs to.
  form.addEventListener("input", function (event) {
    var el = event.target;
    if (!el.name || !/__other$/.test(el.name) || !cleanText(el.value)) return;
    var box = el.closest(".rq");
    var option = box && box.getAttribute("data-other-option");
    if (!option) return;
    inputsOf(box, box.getAttribute("data-question")).forEach(function (input) {
      if (input.value === option && !input.checked) input.checked = true;
    });
  });

  // "Please specify" is shown when its option is chosen, or when it holds text or an error.
  function refreshOther() {
    boxes.forEach(function (box) {
      var option = box.getAttribute("data-other-option");
      var field = box.querySelector(".rq-other");
      if (!option || !field) return;
      var input = field.querySelector("input");
      var chosen = checkedValues(box, box.getAttribute("data-question")).indexOf(option) >= 0;
      field.hidden = !(chosen || cleanText(input.value) || field.classList.contains("has-error"));
    });
  }

  // ------------------------------------------------------------------ 2. drafts

  var draftKey = form.getAttribute("data-draft-key");
  var fingerprint = form.getAttribute("data-fingerprint");

  function snapshot() {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "submit" || el.type === "button" || el.type === "hidden") return;
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) values.push([el.name, el.value]);
      } else {
        values.push([el.name, el.value]);
      }
    });
    return values;
  }

  function apply(values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.type === "submit" || el.type === "button" || el.type === "hidden") return;
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = values.some(function (pair) { return pair[0] === el.name && pair[1] === el.value; });
        return;
      }
      for (var i = 0; i < values.length; i++) {
        if (values[i][0] === el.name) { el.value = values[i][1]; return; }
      }
    });
  }

  function saveDraft() {
    if (!draftKey) return;
    store.set(draftKey, JSON.stringify({ base: fingerprint, at: Date.now(), values: snapshot() }));
  }

  function restoreDraft() {
    if (!draftKey) return false;
    var raw = store.get(draftKey);
    if (!raw) return false;
    var draft = null;
    try { draft = JSON.parse(raw); } catch (e) { draft = null; }
    if (!draft || draft.base !== fingerprint || !Array.isArray(draft.values)) {
      store.remove(draftKey);  // the server has saved this page since: its answers win
      return false;
    }
    var before = JSON.stringify(snapshot());
    apply(draft.values);
    return JSON.stringify(snapshot()) !== before;
  }

  var savedKey = form.getAttribute("data-saved-key");
  if (savedKey) store.remove(savedKey);  // the server has just saved that page
  if (restoreDraft()) {
    var note = document.querySelector("[data-restored-note]");
    if (note) note.hidden = false;
  }

  // ------------------------------------------------------------------ 3. checks and sending

  var lastButton = null;
  Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
    button.addEventListener("click", function () { lastButton = button; });
  });

  function clearErrors() {
    Array.prototype.forEach.call(form.querySelectorAll(".rq-js-error"), function (el) {
      var id = el.id;
      el.parentNode.removeChild(el);
      Array.prototype.forEach.call(form.querySelectorAll("[aria-describedby]"), function (input) {
        var ids = input.getAttribute("aria-describedby").split(" ").filter(function (x) { return x && x !== id; });
        if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
        else input.removeAttribute("aria-describedby");
      });
    });
  }

  function showError(el, message) {
    var id = "js-error-" + el.name;
    var p = document.createElement("p");
    p.className = "errors rq-js-error";
    p.id = id;
    p.textContent = message;
    // Right under the group of buttons or the field the message is about.
    var group = el.closest(".rq-choices, .rq-scale");
    if (group) {
      group.parentNode.insertBefore(p, group.nextSibling);
    } else {
      (el.closest(".rq-row, .rq-rank, .rq-other, .rq") || el.parentNode).appendChild(p);
    }
    Array.prototype.forEach.call(form.querySelectorAll("[name]"), function (input) {
      if (input.name !== el.name) return;
      var ids = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      ids.push(id);
      input.setAttribute("aria-describedby", ids.join(" "));
      input.setAttribute("aria-invalid", "true");
    });
  }

  function checkPage() {
    clearErrors();
    var first = null;
    var seen = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || seen[el.name] || el.disabled || !el.willValidate || el.type === "hidden") return;
      if (!el.checkValidity()) {
        seen[el.name] = true;
        showError(el, el.validationMessage);
        first = first || el;
      }
    });
    boxes.forEach(function (box) {
      if (box.hidden || !box.classList.contains("rq-over")) return;
      var input = inputsOf(box, box.getAttribute("data-question"))[0];
      showError(input, box.getAttribute("data-too-many-error") || "");
      first = first || input;
    });
    if (first) first.focus();
    return first === null;
  }

  function setSending(sending) {
    form.setAttribute("aria-busy", sending ? "true" : "false");
    Array.prototype.forEach.call(form.querySelectorAll("button[type=submit]"), function (button) {
      button.disabled = sending;
    });
  }

  form.addEventListener("submit", function (event) {
    var button = event.submitter || lastButton;
    if (form.getAttribute("data-sending") === "1") {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    var goingBack = button && button.value === "back";
    if (!goingBack && !checkPage()) {
      event.preventDefault();
      event.stopPropagation();  // not a send: the page-wide double-send guard must not engage
      return;
    }
    saveDraft();
    form.setAttribute("data-sending", "1");
    // Disable after the browser has collected the form data, so the pressed button is still sent.
    window.setTimeout(function () { setSending(true); }, 0);
    // On a connection that hangs, allow a retry; the server stores one response whatever happens.
    window.setTimeout(function () {
      form.setAttribute("data-sending", "");
      setSending(false);
    }, RESEND_AFTER_MS);
  });

  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      form.setAttribute("data-sending", "");
      setSending(false);
    }
  });

  function onChange() {
    refreshVisibility();
    refreshCounts();
    refreshOther();
    saveDraft();
  }

  form.addEventListener("input", onChange);
  form.addEventListener("change", onChange);

  refreshVisibility();
  refreshCounts();
  refreshOther();

  var summary = document.getElementById("rq-summary");
  if (summary) summary.focus();
})();
