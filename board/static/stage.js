// Stage page: keeps the host grid and progress bar live by polling the JSON API, and
// sends the stage actions with the operator's token. Data from the server is only ever
// written with textContent, title, href (through teletraan.hostPath) or className, never
// as HTML.
(function () {
  "use strict";
  var env = document.body.dataset.env;
  var stage = document.body.dataset.stage;
  var base = window.teletraan.stageAPI(env, stage);
  var pollMs = 2000;

  function getJSON(path) { return window.teletraan.getJSON(base + path); }

  // phaseOrder is core.HostPhases: the order a group counts its phases in.
  var phaseOrder = ["serving", "deploying", "failed", "paused", "excluded", "other", "unreachable", "never-seen"];

  // buildOf maps deploy ids to build ids and commitOf build ids to "branch@commit", seeded
  // from what the server drew; a deploy the page has not seen is asked once.
  var buildOf = {};
  var commitOf = {};
  var asked = {};
  document.querySelectorAll("#grid .tile").forEach(function (t) {
    if (t.dataset.deploy && t.dataset.build.indexOf("deploy ") !== 0) buildOf[t.dataset.deploy] = t.dataset.build;
  });
  document.querySelectorAll("#grid .group[data-commit]").forEach(function (g) { commitOf[g.dataset.build] = g.dataset.commit; });

  function buildOfDeploy(id) {
    if (!id) return "";
    if (buildOf[id] !== undefined) return buildOf[id] || "deploy " + id;
    if (!asked[id]) {
      asked[id] = true;
      window.teletraan.getJSON("/v1/deploys/" + encodeURIComponent(id)).then(function (j) {
        buildOf[id] = j && j.deploy ? j.deploy.buildId : "";
      }).catch(function (err) { console.warn("board: build of deploy", id, err); });
    }
    return "deploy " + id;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // square is a host's coloured mark; kind is "host" on tiles and "mark" in group heads
  // (only tiles are hosts: the grid's .host elements are one per host).
  function square(color, phase, kind) {
    var s = el("span", (kind || "host") + " " + color);
    s.dataset.phase = phase;
    return s;
  }

  // groupHosts mirrors groupHostsByBuild in board/hostgroups.go: hosts by the build of
  // their agent's deploy, the current deploy's build first, then the biggest groups, then
  // the hosts with no build yet.
  function groupHosts(hosts, currentBuild) {
    var groups = [], index = {};
    hosts.forEach(function (h) {
      var a = h.agent;
      var phase = h.phase || "other";
      var build = a ? buildOfDeploy(a.deployId) : "";
      var t = { name: h.hostName, phase: phase, color: window.teletraan.hostColor(h), deploy: a ? a.deployId : "", build: build,
        detail: h.hostName + " · " + phase + " · " + (build || "no build yet") + " · " +
          (a ? a.deployStage + " " + a.status + " " + a.state : "no agent ") };
      if (index[build] === undefined) {
        index[build] = groups.length;
        groups.push({ build: build, current: build !== "" && build === currentBuild, tiles: [] });
      }
      groups[index[build]].tiles.push(t);
    });
    groups.sort(function (a, b) {
      if (a.current !== b.current) return a.current ? -1 : 1;
      if ((a.build === "") !== (b.build === "")) return a.build === "" ? 1 : -1;
      if (a.tiles.length !== b.tiles.length) return b.tiles.length - a.tiles.length;
      return a.build < b.build ? -1 : a.build > b.build ? 1 : 0;
    });
    return groups;
  }

  // drawGroups redraws the hosts-by-build section and its bar as templates/stage.html
  // draws them; every tile links to its host.
  function drawGroups(hosts, currentBuild) {
    var grid = document.getElementById("grid");
    var bar = document.getElementById("build-bar");
    if (!grid || !bar) return;
    var total = hosts.length;
    var compact = total > Number(grid.dataset.compactAbove || 300);
    grid.classList.toggle("compact", compact);
    var segs = [];
    var nodes = groupHosts(hosts, currentBuild).map(function (g) {
      var div = el("div", "group" + (g.current ? " current" : ""));
      div.dataset.build = g.build;
      var head = el("h3", "group-head");
      var name = el("span", "group-build");
      name.title = g.build || "no build yet";
      if (g.current) {
        var cur = el("span", "current-marker", "current");
        cur.title = "the current deploy's build";
        name.append(cur, " ");
      }
      name.append(g.build ? el("code", "", g.build) : el("span", "muted", "no build yet"));
      head.append(name);
      if (commitOf[g.build]) head.append(" ", el("span", "muted", commitOf[g.build]));
      var n = g.tiles.length;
      var count = el("span", "group-count");
      count.append(el("strong", "", String(n)), " host" + (n === 1 ? "" : "s") + " · " + Math.round(100 * n / total) + "% of the stage");
      head.append(" ", count, " ");
      var phases = el("span", "group-phases");
      var first = true;
      phaseOrder.forEach(function (p) {
        var of = g.tiles.filter(function (t) { return t.phase === p; });
        if (!of.length) return;
        var gp = el("span", "gp");
        gp.append(square(of[0].color, p, "mark"), of.length + " " + p);
        phases.append(gp, " ");
        var seg = el("span", "seg " + of[0].color + (first ? " first" : ""));
        seg.dataset.phase = p;
        seg.style.width = (100 * of.length / total) + "%";
        seg.title = (g.build || "no build yet") + ": " + of.length + " " + p;
        segs.push(seg);
        first = false;
      });
      head.append(phases);
      var tiles = el("div", "tiles");
      g.tiles.forEach(function (t) {
        var a = el("a", "tile " + t.color);
        a.dataset.host = t.name;
        a.dataset.color = t.color;
        a.dataset.phase = t.phase;
        a.dataset.deploy = t.deploy;
        a.dataset.build = t.build;
        a.href = window.teletraan.hostPath(t.name);
        a.title = t.detail;
        a.append(square(t.color, t.phase), el("span", "tile-name", t.name));
        tiles.append(a);
      });
      div.append(head, tiles);
      return div;
    });
    grid.replaceChildren.apply(grid, nodes);
    bar.replaceChildren.apply(bar, segs);
    var retry = document.getElementById("retry-wrap");
    if (retry) retry.hidden = !grid.querySelector('.tile[data-phase="failed"]');
    applySearch();
  }

  // The search box shows only the tiles whose host name contains what is typed; Enter on a
  // single match opens that host.
  var search = document.getElementById("tile-search");
  function applySearch() {
    if (!search) return;
    var q = search.value.trim().toLowerCase();
    var tiles = document.querySelectorAll("#grid .tile");
    var shown = 0;
    tiles.forEach(function (t) {
      t.hidden = q !== "" && t.dataset.host.toLowerCase().indexOf(q) < 0;
      if (!t.hidden) shown++;
    });
    document.getElementById("tile-found").textContent = q ? shown + " of " + tiles.length + " hosts match" : "";
  }
  if (search) {
    search.addEventListener("input", applySearch);
    search.addEventListener("keydown", function (e) {
      if (e.key !== "Enter") return;
      var shown = Array.prototype.filter.call(document.querySelectorAll("#grid .tile"), function (t) { return !t.hidden; });
      if (shown.length === 1) window.location.href = shown[0].href;
    });
  }

  function drawDeploy(d) {
    var state = document.getElementById("deploy-state");
    if (state) {
      state.textContent = d.state + (d.paused ? " (paused)" : "");
      state.className = "state " + d.state;
    }
    var reason = document.getElementById("deploy-reason");
    if (reason) reason.textContent = d.stateReason || "";
    var bar = document.getElementById("progress");
    if (bar && d.total > 0) {
      var parts = [d.succeeded, d.inFlight, d.failed, d.remaining];
      Array.prototype.forEach.call(bar.children, function (seg, i) {
        seg.style.width = (100 * parts[i] / d.total) + "%";
      });
    }
    var text = document.getElementById("progress-text");
    if (text) {
      text.textContent = d.succeeded + " succeeded · " + d.inFlight + " in flight · " + d.failed +
        " failed · " + d.remaining + " remaining of " + d.total;
    }
  }

  // shownDeploy is the deploy the server drew; when the stage moves on to another (or gets
  // its first), the page reloads to draw the new one's facts, history and builds.
  var shownDeploy = document.body.dataset.deploy || "";

  function poll() {
    Promise.all([getJSON("/deploys/current"), getJSON("/hosts")]).then(function (res) {
      var deploy = res[0] && res[0].deploy;
      if (deploy && deploy.id !== shownDeploy) {
        window.teletraan.keepStatusForReload();
        window.location.reload();
        return;
      }
      if (deploy) drawDeploy(deploy);
      if (res[1]) drawGroups(res[1].hosts || [], deploy ? deploy.buildId : "");
    }).catch(function (err) {
      // A failed poll keeps the last picture; the next one may succeed.
      console.warn("board poll:", err);
    }).then(function () { setTimeout(poll, pollMs); });
  }

  var describe = {
    pause: "Pause the current deploy of " + env + "/" + stage + " (no new hosts start)",
    resume: "Resume the current deploy of " + env + "/" + stage,
    abort: "Abort the current deploy of " + env + "/" + stage,
    rollback: "Roll " + env + "/" + stage + " back to the previous good build",
    restart: "Restart every host of " + env + "/" + stage + " on its current build"
  };
  document.querySelectorAll("button[data-action]").forEach(function (b) {
    b.addEventListener("click", function () {
      var action = b.dataset.action;
      if (action !== "rollback") {
        window.teletraan.act(base + "/actions/" + action, {}, describe[action]);
        return;
      }
      // A rollback names its target before acting, and returns to exactly that deploy.
      fetch(base + "/rollback-target", { headers: { Accept: "application/json" } }).then(function (r) {
        return r.json().then(function (v) {
          if (!r.ok) throw new Error(v && v.error ? v.error.message : "HTTP " + r.status);
          return v;
        });
      }).then(function (t) {
        var what = "Roll " + env + "/" + stage + " back to build " + t.buildId + " (" + t.buildName + " " + t.branch + "@" + String(t.commit).slice(0, 7) +
          ") of deploy " + t.deployId + ", from build " + t.currentBuildId;
        window.teletraan.act(base + "/actions/rollback", { toDeployId: t.deployId }, what);
      }).catch(function (err) {
        window.teletraan.say("Nothing to roll back to: " + (err && err.message ? err.message : err));
      });
    });
  });
  var promote = document.getElementById("promote");
  if (promote) {
    promote.addEventListener("click", function () {
      var to = document.getElementById("promote-to").value;
      window.teletraan.act(base + "/actions/promote", { toStage: to }, "Promote the build " + env + "/" + stage + " runs to " + env + "/" + to);
    });
  }
  // Retry failed hosts: every host the page shows as failed right now.
  var retry = document.getElementById("retry-failed");
  if (retry) {
    retry.addEventListener("click", function () {
      var names = Array.prototype.map.call(document.querySelectorAll('#grid .tile[data-phase="failed"]'), function (t) { return t.dataset.host; });
      window.teletraan.retryHosts(env, stage, names);
    });
  }

  // Alarms are asked through the API, which caches the answers for 15 s per server.
  var alarmTable = document.getElementById("alarms");
  var alarmMs = 15000;
  function pollAlarms() {
    getJSON("/alarms").then(function (v) {
      if (!v) return;
      v.alarms.forEach(function (a) {
        var row = Array.prototype.find.call(alarmTable.rows, function (r) { return r.dataset.alarm === a.name; });
        if (!row) return;
        var state = row.querySelector(".alarm-state");
        state.textContent = a.outcome === "INCONCLUSIVE" ? "INCONCLUSIVE" : (a.firing ? "FIRING" : "ok");
        state.className = "alarm-state " + (a.outcome === "OK" ? "quiet" : "firing");
        row.querySelector(".alarm-value").textContent = a.value === undefined || a.value === null ? "" : String(a.value);
        row.querySelector(".alarm-threshold").textContent = a.threshold || "";
        row.querySelector(".alarm-detail").textContent = a.detail || "";
      });
      document.getElementById("alarms-checked").textContent = "Last asked " + window.teletraan.utc(v.checkedAt) + ".";
    }).catch(function (err) {
      console.warn("board alarms:", err);
    }).then(function () { setTimeout(pollAlarms, alarmMs); });
  }
  if (alarmTable) pollAlarms();

  window.teletraan.wireBuildButtons(env, stage);

  setTimeout(poll, pollMs);
})();
