// Hosts page (/envs/:env/:stage/hosts) and host page (/hosts/:host): the per-host actions
// Retry, Exclude, Pause and Resume (only those that apply to the host now, as the API says),
// sent with the operator's token; on the hosts page also
// the filter box and a refresh of every row from the JSON API. Each row carries data-env,
// data-stage and data-host. Data from the server is only ever written with textContent,
// title, className or dataset, never as HTML.
(function () {
  "use strict";
  var pollMs = 5000;
  var enc = encodeURIComponent;
  var tt = window.teletraan;

  // age mirrors agoOrNever in board/age.go: the largest unit and the next, unless zero.
  function age(iso, now) {
    if (!iso) return "never";
    var s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
    function pair(big, bigUnit, small, smallUnit) { return big + bigUnit + (small > 0 ? small + smallUnit : "") + " ago"; }
    if (s < 60) return s + "s ago";
    if (s < 3600) return pair(Math.floor(s / 60), "m", s % 60, "s");
    if (s < 86400) return pair(Math.floor(s / 3600), "h", Math.floor(s % 3600 / 60), "m");
    return pair(Math.floor(s / 86400), "d", Math.floor(s % 86400 / 3600), "h");
  }

  // errorHeadline mirrors errorHeadline in board/hosts.go.
  function errorHeadline(text) {
    var lines = text.split("\n");
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (!line) continue;
      var chars = Array.from(line);
      return chars.length > 120 ? chars.slice(0, 120).join("") + "…" : line;
    }
    return "";
  }

  function cell(tr, cls) { return tr.querySelector("." + cls); }

  function setText(tr, cls, text) {
    var c = cell(tr, cls);
    if (c) c.textContent = text;
  }

  // buildOf caches deploy id → build id, seeded from the rows the server drew.
  var buildOf = {};
  document.querySelectorAll("tr[data-deploy]").forEach(function (tr) {
    if (tr.dataset.deploy && tr.dataset.build) buildOf[tr.dataset.deploy] = tr.dataset.build;
  });

  function drawBuild(tr, deployId) {
    var td = cell(tr, "c-build");
    if (!td || tr.dataset.deploy === deployId) return;
    tr.dataset.deploy = deployId;
    if (!deployId) { td.textContent = "—"; return; }
    var out = td;
    if (document.getElementById("hosts")) {
      // The hosts page links the build to its deploy; the host page has a deploy column.
      out = document.createElement("a");
      out.href = tt.deployPath(deployId);
      out.title = "deploy " + deployId;
      td.replaceChildren(out);
    }
    out.textContent = buildOf[deployId] || "unknown build";
    if (!buildOf[deployId]) {
      tt.getJSON("/v1/deploys/" + enc(deployId)).then(function (j) {
        if (j && j.deploy && j.deploy.buildId) {
          buildOf[deployId] = j.deploy.buildId;
          out.textContent = j.deploy.buildId;
        }
      }).catch(function (err) { console.warn("board: build of deploy", deployId, err); });
    }
  }

  function drawError(tr, e) {
    var td = cell(tr, "c-error");
    if (!td) return;
    if (!e || !e.errorMessage) { td.replaceChildren(); return; }
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    if (e.stale) {
      // The host serves a build since this error: it is from an attempt it got past.
      details.className = "stale";
      var mark = document.createElement("span");
      mark.className = "stale-mark";
      mark.title = "the host serves a build since this error";
      mark.textContent = "stale";
      summary.append(mark, " ");
    }
    summary.append(errorHeadline(e.errorMessage));
    var pre = document.createElement("pre");
    pre.textContent = e.errorMessage;
    details.append(summary, pre);
    var old = td.querySelector("details");
    if (old && old.open) details.open = true;
    td.replaceChildren(details);
  }

  // updateRow redraws a row from the API's view of the host in that stage. deployId is the
  // stage's current deploy, or undefined where the page shows no colours.
  function updateRow(tr, h, deployId, now) {
    var a = h.agent;
    tr.dataset.state = a ? a.state : "";
    setText(tr, "c-state", a ? a.state : "—");
    setText(tr, "c-status", a ? a.status : "—");
    setText(tr, "c-dstage", a ? a.deployStage : "—");
    setText(tr, "c-fail", a ? String(a.failCount) : "—");
    setText(tr, "c-updated", a ? tt.utc(a.updatedAt) : "—");
    var square = cell(tr, "c-color");
    if (square && deployId !== undefined) {
      var color = tt.hostColor(h);
      tr.dataset.color = color;
      square.className = "host " + color + " c-color";
      square.title = color;
    }
    var ping = cell(tr, "c-ping");
    if (ping) {
      ping.textContent = age(h.lastPingAt, now);
      ping.title = h.lastPingAt ? tt.utc(h.lastPingAt) : "never pinged";
    }
    drawError(tr, h.lastError);
    drawBuild(tr, a ? a.deployId : "");
    drawActions(tr, h.actions);
  }

  var labels = { retry: "Retry", exclude: "Exclude", pause: "Pause", resume: "Resume" };

  // drawActions redraws a row's buttons from the actions the API says apply to the host
  // (core.HostActionsFor), only when they changed, so a button is not swapped under a click.
  function drawActions(tr, actions) {
    var td = cell(tr, "host-actions");
    if (!td || !actions) return;
    // board/hostcolor.go's boardHostActions: the board does not offer stop.
    actions = actions.filter(function (a) { return labels[a]; });
    var now = Array.prototype.map.call(td.querySelectorAll("button[data-host-action]"), function (b) { return b.dataset.hostAction; });
    if (now.join(",") === actions.join(",")) return;
    var nodes = [];
    actions.forEach(function (a) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.needsOperator = "";
      b.dataset.hostAction = a;
      b.textContent = labels[a] || a;
      nodes.push(b, " ");
    });
    if (!nodes.length) {
      var none = document.createElement("span");
      none.className = "muted";
      none.textContent = "—";
      nodes.push(none);
    }
    td.replaceChildren.apply(td, nodes);
    tt.reoffer();
  }

  // The hosts page: filter box, summary counts and a periodic refresh.
  var table = document.getElementById("hosts");
  var rows = table ? Array.from(table.querySelectorAll("tbody tr")) : [];
  var nameInput = document.getElementById("filter-name");
  var stateSelect = document.getElementById("filter-state");

  // matches mirrors hostFilter.matches in board/hosts.go.
  function matches(tr, name, state) {
    if (name && tr.dataset.host.toLowerCase().indexOf(name.toLowerCase()) < 0) return false;
    return !state || state === tr.dataset.color || state === tr.dataset.state;
  }

  function applyFilter() {
    if (!nameInput || !stateSelect) return;
    var name = nameInput.value.trim(), state = stateSelect.value, shown = 0;
    rows.forEach(function (tr) {
      tr.hidden = !matches(tr, name, state);
      if (!tr.hidden) shown++;
    });
    var shownEl = document.getElementById("hosts-shown");
    if (shownEl) shownEl.textContent = "Showing " + shown + " of " + rows.length + " hosts";
    var none = document.getElementById("no-match");
    if (none) none.hidden = shown > 0 || rows.length === 0;
    // The address keeps the filter, so it can be pasted into an incident channel.
    var q = new URLSearchParams();
    if (name) q.set("name", name);
    if (state) q.set("state", state);
    var query = q.toString();
    history.replaceState(null, "", location.pathname + (query ? "?" + query : ""));
  }

  function recount() {
    var counts = {};
    rows.forEach(function (tr) { counts[tr.dataset.color] = (counts[tr.dataset.color] || 0) + 1; });
    document.querySelectorAll(".host-count[data-color]").forEach(function (a) {
      var n = a.querySelector(".n");
      if (n) n.textContent = String(counts[a.dataset.color] || 0);
    });
  }

  function refresh() {
    if (!table) return Promise.resolve();
    var base = tt.stageAPI(document.body.dataset.env, document.body.dataset.stage);
    return Promise.all([tt.getJSON(base + "/deploys/current"), tt.getJSON(base + "/hosts")]).then(function (res) {
      var deployId = res[0] && res[0].deploy ? res[0].deploy.id : "";
      var hosts = (res[1] && res[1].hosts) || [];
      var byName = {};
      hosts.forEach(function (h) { byName[h.hostName] = h; });
      var now = Date.now();
      rows.forEach(function (tr) {
        var h = byName[tr.dataset.host];
        if (h) updateRow(tr, h, deployId, now);
      });
      var changed = document.getElementById("hosts-changed");
      if (changed) changed.hidden = hosts.length === rows.length && rows.every(function (tr) { return byName[tr.dataset.host]; });
      recount();
      applyFilter();
    });
  }

  function poll() {
    refresh().catch(function (err) {
      // A failed poll keeps the last picture; the next one may succeed.
      console.warn("board: hosts poll:", err);
    }).then(function () { setTimeout(poll, pollMs); });
  }

  if (table && nameInput && stateSelect) {
    nameInput.addEventListener("input", applyFilter);
    stateSelect.addEventListener("change", applyFilter);
    document.getElementById("host-filter").addEventListener("submit", function (ev) {
      ev.preventDefault();
      applyFilter();
    });
    setTimeout(poll, pollMs);
  }

  // Per-host actions, on both pages.
  var describe = {
    retry: function (host, where) { return "Retry " + host + " in " + where + ": it starts the current deploy over from the first step, with its fail count reset"; },
    exclude: function (host, where) { return "Exclude " + host + " from deploys of " + where + ": it keeps its current build, deploys skip it and count it only in their total, until resumed"; },
    pause: function (host, where) { return "Pause " + host + " in " + where + ": it takes no further deploy step until resumed, and the deploy keeps waiting for it (it turns stuck after the stuck timeout)"; },
    resume: function (host, where) { return "Resume " + host + " in " + where + ": it takes part in deploys again"; }
  };

  document.addEventListener("click", function (ev) {
    var button = ev.target.closest("button[data-host-action]");
    if (!button) return;
    var tr = button.closest("tr");
    var action = button.dataset.hostAction;
    var env = tr.dataset.env, stage = tr.dataset.stage, host = tr.dataset.host;
    var what = describe[action](host, env + "/" + stage);
    var path = tt.stageAPI(env, stage) + "/hosts/" + enc(host) + "/actions/" + enc(action);
    tt.send("POST", path, {}, what).then(function (res) {
      if (!res.ok) return;
      var h = res.body || {};
      var state = h.agent ? h.agent.state : "";
      var after = function () {
        if (state) tt.say(what + ": accepted; " + host + " is now " + state + ".");
      };
      if (table) {
        // The answer is this row after the change; the refresh redraws the others too.
        updateRow(tr, h, document.body.dataset.currentDeploy || "", Date.now());
        recount();
        refresh().catch(function (err) { console.warn("board: hosts refresh:", err); }).then(after);
      } else {
        updateRow(tr, h, undefined, Date.now());
        after();
      }
    });
  });
})();
