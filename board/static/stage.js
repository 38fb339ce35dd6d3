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

  // drawGrid redraws the squares as templates/stage.html draws them: each links to its host.
  function drawGrid(hosts) {
    var grid = document.getElementById("grid");
    var squares = hosts.map(function (h) {
      var s = document.createElement("a");
      s.className = "host " + window.teletraan.hostColor(h);
      s.href = window.teletraan.hostPath(h.hostName);
      s.title = h.hostName;
      return s;
    });
    grid.replaceChildren.apply(grid, squares);
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
      if (res[1]) drawGrid(res[1].hosts || []);
    }).catch(function (err) {
      // A failed poll keeps the last picture; the next one may succeed.
      console.warn("board poll:", err);
    }).then(function () { setTimeout(poll, pollMs); });
  }

  function send(path, body, what) {
    return window.teletraan.send("POST", base + path, body, what);
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
      send("/actions/" + action, {}, describe[action]);
    });
  });
  var promote = document.getElementById("promote");
  if (promote) {
    promote.addEventListener("click", function () {
      var to = document.getElementById("promote-to").value;
      send("/actions/promote", { toStage: to }, "Promote the build " + env + "/" + stage + " runs to " + env + "/" + to);
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
        state.textContent = a.firing ? "FIRING" : "ok";
        state.className = "alarm-state " + (a.firing ? "firing" : "quiet");
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
