// The home page's search box and filter chips, applied in the browser as the operator types.
// The server renders every stage and hides the ones ?q= and ?state= exclude, with the same
// rules as here (board/home.go matchesQuery, matchesFilter, homeURL); this script only
// re-applies them and keeps the address bar shareable. Nothing here writes markup.
(function () {
  "use strict";
  var form = document.getElementById("filter");
  var input = document.getElementById("q");
  if (!form || !input) return;
  var rows = Array.prototype.slice.call(document.querySelectorAll("#stages tr.stage-row"));
  var groups = Array.prototype.slice.call(document.querySelectorAll("#stages tbody.envgroup"));
  var chips = Array.prototype.slice.call(document.querySelectorAll("a.chip[data-state]"));
  var sorts = Array.prototype.slice.call(document.querySelectorAll("a.sort[data-sort]"));
  var shown = document.getElementById("shown");
  var nomatch = document.getElementById("nomatch");

  var params = new URLSearchParams(window.location.search);
  var state = "all";
  chips.forEach(function (c) { if (c.classList.contains("active")) state = c.dataset.state; });
  var order = params.get("sort") === "trouble" ? "trouble" : "name";

  // homeURL mirrors the Go function of the same name: defaults are left out.
  function homeURL(q, st, so) {
    var p = new URLSearchParams();
    if (q) p.set("q", q);
    if (so && so !== "name") p.set("sort", so);
    if (st && st !== "all") p.set("state", st);
    var s = p.toString();
    return "/" + (s ? "?" + s : "");
  }

  function matches(row, words) {
    var filters = " " + (row.dataset.filters || "") + " ";
    if (state !== "all" && filters.indexOf(" " + state + " ") < 0) return false;
    var text = row.dataset.search || "";
    return words.every(function (w) { return text.indexOf(w) >= 0; });
  }

  function apply() {
    var q = input.value.trim();
    var words = q.toLowerCase().split(/\s+/).filter(Boolean);
    var n = 0;
    rows.forEach(function (r) {
      var ok = matches(r, words);
      r.hidden = !ok;
      if (ok) n++;
    });
    groups.forEach(function (g) { g.hidden = !g.querySelector("tr.stage-row:not([hidden])"); });
    if (shown) shown.textContent = n === rows.length ? "" : "· showing " + n;
    if (nomatch) nomatch.hidden = n !== 0;
    chips.forEach(function (c) {
      var active = c.dataset.state === state;
      c.classList.toggle("active", active);
      if (active) c.setAttribute("aria-current", "true"); else c.removeAttribute("aria-current");
      c.href = homeURL(q, c.dataset.state, order);
    });
    sorts.forEach(function (s) { s.href = homeURL(q, state, s.dataset.sort); });
    var stateInput = form.querySelector("input[name=state]");
    if (stateInput) stateInput.value = state;
    window.history.replaceState(null, "", homeURL(q, state, order));
  }

  input.addEventListener("input", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); apply(); });
  chips.forEach(function (c) {
    c.addEventListener("click", function (e) {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // a new tab gets the link
      e.preventDefault();
      state = c.dataset.state;
      apply();
    });
  });
  var clear = document.getElementById("clear");
  if (clear) {
    clear.addEventListener("click", function (e) {
      e.preventDefault();
      input.value = "";
      state = "all";
      apply();
      input.focus();
    });
  }
  // "/" jumps to the search box from anywhere on the page; Escape clears it.
  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
    if (e.key === "/" && !typing) {
      e.preventDefault();
      input.focus();
      input.select();
    }
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Escape") {
      input.value = "";
      apply();
    }
  });

  // The page is a status screen people leave open: redraw it every 30 s from the server,
  // whose URL already carries the filter, unless someone is typing in the search box.
  var refreshMs = 30000;
  function refresh() {
    if (document.activeElement === input) {
      setTimeout(refresh, refreshMs);
      return;
    }
    window.location.reload();
  }
  setTimeout(refresh, refreshMs);
})();
