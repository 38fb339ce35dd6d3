// Config page: checks the obvious mistakes in the browser, saves the fields that changed
// with the operator's token, and puts each problem (the browser's or the server's field
// error) next to the field it is about. The form is never reset on error, so nothing typed
// is lost. Data is only ever written with textContent or value, never as HTML.
(function () {
  "use strict";
  var env = document.body.dataset.env;
  var stage = document.body.dataset.stage;
  var api = window.teletraan.stageAPI(env, stage);
  var form = document.getElementById("config-form");
  var capacityForm = document.getElementById("capacity-form");
  var savedNote = document.getElementById("config-saved");

  function say(text, el) { window.teletraan.say(text, el); }

  // ---- key/value row groups -------------------------------------------------------------

  function rowsOf(group) {
    return Array.prototype.slice.call(group.querySelectorAll("tbody tr.cfg-row"));
  }

  function showNone(group) {
    var none = group.querySelector(".cfg-none");
    if (none) none.hidden = rowsOf(group).length > 0;
  }

  form.addEventListener("click", function (e) {
    var t = e.target;
    var group = t.closest && t.closest("fieldset[data-field]");
    if (!group) return;
    if (t.classList.contains("cfg-add")) {
      var row = group.querySelector("template").content.firstElementChild.cloneNode(true);
      group.querySelector("tbody").appendChild(row);
      showNone(group);
      row.querySelector("input").focus();
    } else if (t.classList.contains("cfg-remove")) {
      t.closest("tr").remove();
      showNone(group);
    }
  });

  // ---- reading and checking the form ------------------------------------------------------

  // read returns the form as the API's JSON field names mapped to raw input: strings for
  // the scalar fields, [key, value] rows for the groups. Rows left wholly empty are ignored.
  function read() {
    var out = { scalars: {}, groups: {} };
    form.querySelectorAll(".cfg-field [name]").forEach(function (el) {
      out.scalars[el.name] = { el: el, value: el.value };
    });
    form.querySelectorAll("fieldset[data-field]").forEach(function (group) {
      var rows = [];
      rowsOf(group).forEach(function (tr) {
        var k = tr.querySelector(".cfg-key").value.trim();
        var v = tr.querySelector(".cfg-value").value;
        if (k !== "" || v.trim() !== "") rows.push([k, v]);
      });
      out.groups[group.dataset.field] = { kind: group.dataset.kind, rows: rows };
    });
    var acc = form.querySelector("textarea.cfg-acceptance");
    if (acc) out.acceptance = acc.value;
    return out;
  }

  // check finds the mistakes worth catching before a round trip: required fields, whole
  // numbers in range, rows without a name, duplicate names, alarm URLs that are not http(s).
  // The server checks everything again and has the last word.
  function check(f) {
    var problems = [];
    Object.keys(f.scalars).forEach(function (name) {
      var el = f.scalars[name].el;
      var v = f.scalars[name].value;
      if (el.required && v.trim() === "") {
        problems.push({ field: name, message: "is required" });
        return;
      }
      if (el.type === "number") {
        if (!/^-?\d+$/.test(v.trim())) {
          problems.push({ field: name, message: "must be a whole number" });
          return;
        }
        var n = parseInt(v, 10), min = parseInt(el.min, 10), max = parseInt(el.max, 10);
        if (n < min || n > max) {
          problems.push({ field: name, message: "must be between " + min + " and " + max + " " + (el.dataset.unit || "") + ", got " + n });
        }
      }
      if (el.dataset.json) {
        try { JSON.parse(v); } catch (err) {
          problems.push({ field: name, message: "is not valid JSON: " + err.message });
        }
        return;
      }
      if (el.maxLength > 0 && v.length > el.maxLength) {
        problems.push({ field: name, message: "is " + v.length + " characters long; the limit is " + el.maxLength });
      }
    });
    if (f.acceptance !== undefined && f.acceptance.trim() !== "") {
      try {
        var a = JSON.parse(f.acceptance);
        if (!a || typeof a !== "object" || Array.isArray(a)) problems.push({ field: "acceptance", message: "must be a JSON object such as {\"bakeSeconds\": 60}" });
      } catch (err) {
        problems.push({ field: "acceptance", message: "is not JSON: " + err.message });
      }
    }
    var mp = f.scalars.maxParallel, pct = f.scalars.maxParallelPct;
    if (mp && pct && mp.value.trim() === "0" && pct.value.trim() === "0") {
      problems.push({ field: "maxParallel", message: "set max parallel hosts or max parallel percent above 0, or both" });
    }
    Object.keys(f.groups).forEach(function (name) {
      var g = f.groups[name];
      var seen = {};
      for (var i = 0; i < g.rows.length; i++) {
        var k = g.rows[i][0], v = g.rows[i][1];
        if (k === "") {
          problems.push({ field: name, message: "row " + (i + 1) + " has a value but no name" });
          return;
        }
        if (seen[k]) {
          problems.push({ field: name, message: "\u201c" + k + "\u201d appears twice; names must be unique" });
          return;
        }
        seen[k] = true;
        if (g.kind === "list" && !/^https?:\/\/[^\s\/]+/i.test(v.trim())) {
          problems.push({ field: name, message: "the URL of \u201c" + k + "\u201d must be an absolute http or https URL" });
          return;
        }
      }
    });
    return problems;
  }

  // toConfig turns what read returned into the API's JSON values.
  function toConfig(f) {
    var cfg = {};
    Object.keys(f.scalars).forEach(function (name) {
      var s = f.scalars[name];
      if (s.el.dataset.json) {
        try { cfg[name] = JSON.parse(s.value); } catch (err) { cfg[name] = s.value; }
      } else if (s.el.dataset.list) {
        cfg[name] = s.value.split(/[\s,]+/).filter(function (x) { return x !== ""; });
      } else {
        cfg[name] = s.el.type === "number" ? parseInt(s.value, 10) : s.value;
      }
    });
    Object.keys(f.groups).forEach(function (name) {
      var g = f.groups[name];
      if (g.kind === "list") {
        cfg[name] = g.rows.map(function (r) { return { name: r[0], url: r[1].trim() }; });
      } else {
        var m = {};
        g.rows.forEach(function (r) { m[r[0]] = r[1]; });
        cfg[name] = m;
      }
    });
    if (f.acceptance !== undefined) {
      // Empty removes the acceptance ({} checks nothing); check() refused what is not JSON.
      try { cfg.acceptance = f.acceptance.trim() === "" ? {} : JSON.parse(f.acceptance); } catch (err) { cfg.acceptance = f.acceptance; }
    }
    return cfg;
  }

  // canonical renders a value with sorted object keys, so that a map whose rows were
  // removed and re-added in another order still compares equal.
  function canonical(v) {
    if (Array.isArray(v)) return "[" + v.map(canonical).join(",") + "]";
    if (v && typeof v === "object") {
      return "{" + Object.keys(v).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(v[k]); }).join(",") + "}";
    }
    return JSON.stringify(v);
  }

  // changedFields lists the fields whose value differs from the saved config. The PUT merges
  // the fields it is sent, so sending only these keeps other people's concurrent changes.
  function changedFields(saved, now) {
    return Object.keys(now).filter(function (k) { return canonical(saved[k]) !== canonical(now[k]); });
  }

  // ---- showing problems next to their fields ----------------------------------------------

  function clearErrors(root) {
    root.querySelectorAll("[data-error-for]").forEach(function (el) { el.textContent = ""; });
    root.querySelectorAll(".cfg-invalid").forEach(function (el) { el.classList.remove("cfg-invalid"); });
    root.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  // placeError writes message next to field and reports whether the page has that field.
  function placeError(root, field, message) {
    var sel = window.CSS && CSS.escape ? CSS.escape(field) : field.replace(/[^A-Za-z0-9_-]/g, "");
    var slot = root.querySelector('[data-error-for="' + sel + '"]');
    // A section's error names its part (alarmPolicy.onFiring, webhooks[0].url): show it
    // at the section.
    var section = field.split(/[.\[]/)[0];
    if (!slot && section !== field) return placeError(root, section, field + " " + message);
    if (!slot) return false;
    slot.textContent = message;
    var box = root.querySelector('[data-field="' + sel + '"]');
    if (box) box.classList.add("cfg-invalid");
    var input = root.querySelector('[name="' + sel + '"]');
    if (input) input.setAttribute("aria-invalid", "true");
    return true;
  }

  function focusFirstInvalid(root) {
    var box = root.querySelector(".cfg-invalid");
    var input = box && box.querySelector("input, select, textarea");
    if (input) input.focus();
  }

  // showRefusal puts the server's field error next to its field; the status line already
  // carries the message, and says where to look when the field is on the page.
  function showRefusal(root, res, statusEl) {
    var err = res.body && res.body.error;
    if (!err || !err.field) return;
    if (placeError(root, err.field, err.message)) {
      say("Not saved: " + err.field + " " + err.message + " (marked below; your input is kept).", statusEl);
      focusFirstInvalid(root);
    }
  }

  // ---- saving -----------------------------------------------------------------------------

  var saved = toConfig(read());

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors(form);
    var f = read();
    var problems = check(f);
    if (problems.length > 0) {
      savedNote.hidden = true;
      problems.forEach(function (p) { placeError(form, p.field, p.message); });
      say("Not saved: fix " + problems.map(function (p) { return p.field; }).join(", ") + " (marked below).");
      focusFirstInvalid(form);
      return;
    }
    var now = toConfig(f);
    var changed = changedFields(saved, now);
    if (changed.length === 0) {
      say("Nothing to save: every field matches the saved config.");
      return;
    }
    savedNote.hidden = true;
    var body = {};
    changed.forEach(function (k) { body[k] = now[k]; });
    window.teletraan.send("PUT", api, body, "Save " + changed.join(", ") + " of " + env + "/" + stage).then(function (res) {
      if (res.ok) {
        saved = now;
        say("Saved: " + changed.join(", ") + ".");
        savedNote.hidden = false;
        return;
      }
      showRefusal(form, res);
    });
  });

  // lines splits a textarea into its non-empty trimmed lines.
  function lines(text) {
    return text.split("\n").map(function (s) { return s.trim(); }).filter(function (s) { return s !== ""; });
  }

  capacityForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var statusEl = document.getElementById("capacity-status");
    var hostsEl = document.getElementById("cap-hosts");
    var groupsEl = document.getElementById("cap-groups");
    if (hostsEl.disabled) return;
    clearErrors(capacityForm);
    var body = { hosts: lines(hostsEl.value), groups: lines(groupsEl.value) };
    var what = "Replace the capacity of " + env + "/" + stage + " with " + body.hosts.length + " hosts and " + body.groups.length + " groups";
    window.teletraan.send("PUT", api + "/capacity", body, what, { statusEl: statusEl }).then(function (res) {
      if (res.ok) {
        // The server sorts and de-duplicates; show what it stored.
        hostsEl.value = (res.body.hosts || []).join("\n");
        groupsEl.value = (res.body.groups || []).join("\n");
        say("Capacity saved: " + res.body.hosts.length + " hosts, " + res.body.groups.length + " groups.", statusEl);
        return;
      }
      showRefusal(capacityForm, res, statusEl);
    });
  });
  // ---- deleting the stage ---------------------------------------------------------------

  // The operator types the stage's name to confirm: a click alone must not remove a stage.
  var del = document.getElementById("delete-stage");
  if (del) {
    del.addEventListener("click", function () {
      var out = document.getElementById("delete-status");
      var name = env + "/" + stage;
      var typed = window.prompt("Delete the stage " + name + " and its capacity? Its deploys and audit trail stay.\nType " + name + " to confirm:", "");
      if (typed === null) return;
      if (typed.trim() !== name) {
        say("Not deleted: you typed “" + typed.trim() + "”, not " + name + ".", out);
        return;
      }
      window.teletraan.send("DELETE", api, null, "Delete the stage " + name, { confirm: false, statusEl: out }).then(function (r) {
        if (!r.ok) return;
        del.disabled = true;
        var back = document.createElement("a");
        back.href = "/";
        back.textContent = "All stages";
        out.append(" ", back);
      });
    });
  }
})();
