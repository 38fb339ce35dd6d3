// Shared by every board page: who is signed in (the session's person or token, from
// GET /v1/auth/token) with the session's CSRF token, one way to send an action to the JSON
// API and show the server's answer, the board's and the API's
// URLs, UTC times, and the host grid's colours. Data from the server is only ever written
// with textContent, never as HTML.
(function () {
  "use strict";
  // who describes the signed-in caller once GET /v1/auth/token answered; null before (or
  // for an anonymous viewer of a board with open reads).
  var who = null;
  var whoAsked = null;

  var statusKey = "teletraan.status";
  var enc = encodeURIComponent;

  // hostPath and deployPath mirror board/paths.go: a name is one path segment.
  function hostPath(name) { return "/hosts/" + enc(name); }
  function deployPath(id) { return "/deploys/" + enc(id); }

  // stageAPI is the JSON API's URL of a stage; paths under it are appended.
  function stageAPI(env, stage) { return "/v1/envs/" + enc(env) + "/" + enc(stage); }

  // getJSON reads an API path; a 404 resolves to null (the thing is not there yet) and any
  // other failure rejects, so a poller keeps its last picture.
  function getJSON(path) {
    return fetch(path, { headers: { Accept: "application/json" } }).then(function (r) {
      if (r.status === 404) return null;
      if (r.status === 401) say("Your session has ended: sign in again (reload the page).");
      if (!r.ok) throw new Error(path + ": HTTP " + r.status);
      return r.json();
    });
  }

  // utc writes an API timestamp the way the pages' "time" template does; "—" for none.
  function utc(iso) {
    return iso ? new Date(iso).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC") : "—";
  }

  // phaseColors is board/hostcolor.go's phaseColor table: the grid colour of each host
  // phase. The server computes the phase (core.PhaseOf); the pages only paint it.
  var phaseColors = { "never-seen": "unreachable" };

  // hostColor is the grid colour of one entry of GET /v1/envs/{env}/{stage}/hosts, from the
  // phase the API computed for it.
  function hostColor(host) {
    var phase = host.phase || "other";
    return phaseColors[phase] || phase;
  }

  // signedIn reports whether a session can act; it says how to sign in when not.
  function signedIn(el) {
    if (who) return true;
    say("Sign in first (top right): actions need a signed-in person or token.", el);
    return false;
  }

  // askWho reads who is signed in, once per page.
  function askWho() {
    if (!whoAsked) {
      whoAsked = fetch("/v1/auth/token", { headers: { Accept: "application/json" } }).then(function (r) {
        return r.ok ? r.json() : null;
      }).catch(function () { return null; }).then(function (j) { who = j; return j; });
    }
    return whoAsked;
  }

  // say writes a line into the page's status element (id "status" unless one is given).
  function say(text, el) {
    el = el || document.getElementById("status");
    if (el) el.textContent = text;
  }

  // errorMessage reads the API's {"error": {"code", "message", "field"}} answer.
  function errorMessage(j, status) {
    return (j && j.error && j.error.message) || ("HTTP " + status);
  }

  // send calls the API with the saved token after the operator confirms what (skipped when
  // opts.confirm is false) and reports "accepted" or "refused: why" on the status line.
  // It resolves to {ok, status, body} so a page can react further (field errors, reloads).
  function send(method, path, body, what, opts) {
    opts = opts || {};
    var el = opts.statusEl;
    if (!signedIn(el)) return Promise.resolve({ ok: false, status: 0, body: null });
    if (opts.confirm !== false && !window.confirm(what + "?")) {
      return Promise.resolve({ ok: false, status: 0, body: null });
    }
    say(what + ": sending…", el);
    // The session's cookie goes by itself; the CSRF token proves the page is the board's.
    var init = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": who.csrfToken || "", "Accept": "application/json" } };
    if (body !== undefined && body !== null) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(path, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.ok) {
          var d = j.deploy || j;
          var detail = d && d.id && d.state ? " (deploy " + d.id + ", " + d.state + (d.paused ? ", paused" : "") + ")" : "";
          say(what + ": accepted" + (r.status === 202 ? ", queued" : "") + detail + ".", el);
        } else {
          say(what + ": refused: " + errorMessage(j, r.status), el);
        }
        return { ok: r.ok, status: r.status, body: j };
      });
    }).catch(function (err) {
      say(what + ": failed: " + err.message, el);
      return { ok: false, status: 0, body: null };
    });
  }

  // roleIn is the caller's role in env: a token's role where its scope holds, a person's
  // mapped role there.
  function roleIn(w, env) {
    if (w.kind === "person") return (env && w.envRoles && w.envRoles[env] !== undefined) ? w.envRoles[env] : w.role;
    return (w.scope === "*" || w.scope === "" || !env || w.scope === env) ? w.role : "";
  }

  // offerActions shows the buttons marked data-needs-operator only where the signed-in
  // caller may use them: its role in the environment of the nearest element carrying
  // data-env is OPERATOR or ADMIN (data-needs-admin: ADMIN). Without a caller every button
  // stays, and a click explains what is missing. The server checks regardless.
  var lastWho = null;
  function offerActions(w) {
    lastWho = w;
    document.querySelectorAll("[data-needs-operator]").forEach(function (el) {
      var holder = el.closest("[data-env]");
      var role = w ? roleIn(w, holder ? holder.dataset.env : "") : "";
      el.hidden = !!w && !(role === "OPERATOR" || role === "ADMIN");
    });
    document.querySelectorAll("[data-needs-admin]").forEach(function (el) {
      var holder = el.closest("[data-env]");
      el.hidden = !!w && roleIn(w, holder ? holder.dataset.env : "") !== "ADMIN";
    });
  }

  // showWho writes who is signed in into the site header and offers sign-out (or sign-in).
  function showWho(w) {
    var name = document.getElementById("who-name");
    var out = document.getElementById("sign-out");
    var inLink = document.getElementById("sign-in");
    if (w) {
      var what = w.kind === "person" ? (w.role || (w.envRoles ? "roles per environment" : "no role")) : w.role + (w.scope && w.scope !== "*" ? " of " + w.scope : "");
      if (name) name.textContent = "Signed in as " + w.name + " (" + what + ")";
      if (out && w.csrfToken) {
        document.getElementById("csrf-field").value = w.csrfToken;
        out.hidden = false;
      }
    } else {
      if (name) name.textContent = "Not signed in";
      if (inLink) {
        inLink.href = "/login?next=" + enc(window.location.pathname + window.location.search);
        inLink.hidden = false;
      }
    }
    offerActions(w);
  }

  // act sends a deploy action after asking for its description, which the deploy and the
  // audit trail keep (the prompt is the confirmation: cancelling it sends nothing). hint
  // says what the description is for.
  function act(path, body, what, hint) {
    if (!signedIn()) return Promise.resolve({ ok: false, status: 0, body: null });
    var why = window.prompt(what + "?\nDescription" + (hint ? " (" + hint + ")" : " (optional: why; kept with the deploy)") + ":", "");
    if (why === null) return Promise.resolve({ ok: false, status: 0, body: null });
    var sent = Object.assign({}, body || {});
    if (why.trim()) sent.description = why.trim();
    return send("POST", path, sent, what, { confirm: false });
  }

  // wireBuildButtons makes the page's Deploy (data-deploy) and Hotfix (data-hotfix) buttons
  // start deploys of env/stage, each asking for a description; a hotfix asks why it cannot
  // wait, because it jumps the stage's queue.
  // A build tagged BAD (data-bad holds why) is deployed only after a second, explicit
  // confirmation, which sends force.
  function wireBuildButtons(env, stage) {
    var base = stageAPI(env, stage);
    function badBody(b, body) {
      if (!b.dataset.bad) return body;
      if (!window.confirm(b.dataset.bad + ".\nDeploy it anyway?")) return null;
      body.force = true;
      return body;
    }
    document.querySelectorAll("button[data-deploy]").forEach(function (b) {
      b.addEventListener("click", function () {
        var id = b.dataset.deploy;
        var what = "Deploy build " + id + " to " + env + "/" + stage;
        if (b.dataset.branchWarning) what += " (" + b.dataset.branchWarning + ")";
        var body = badBody(b, { buildId: id });
        if (body) act(base + "/deploys", body, what + (body.force ? " (tagged BAD: forced)" : ""));
      });
    });
    document.querySelectorAll("button[data-hotfix]").forEach(function (b) {
      b.addEventListener("click", function () {
        var id = b.dataset.hotfix;
        var what = "Hotfix " + env + "/" + stage + " with build " + id + " at once (it replaces the running deploy; regular deploys wait for it)";
        if (b.dataset.branchWarning) what += " (" + b.dataset.branchWarning + ")";
        var body = badBody(b, { buildId: id });
        if (body) act(base + "/actions/hotfix", body, what, "why this cannot wait");
      });
    });
    wireRollbackButtons();
  }

  // wireTagButtons makes every "Mark bad / Mark good / Certify" button (data-tag-build,
  // data-tag-value) tag its build, asking for the reason, then reload to show the tag.
  function wireTagButtons() {
    document.querySelectorAll("button[data-tag-build]").forEach(function (b) {
      if (b.dataset.wired) return;
      b.dataset.wired = "1";
      b.addEventListener("click", function () {
        var id = b.dataset.tagBuild, value = b.dataset.tagValue;
        if (!signedIn()) return;
        var hint = value === "BAD" ? " (it stops promotion and rollback to this build and later builds of its branch until one is tagged GOOD)" : "";
        var why = window.prompt("Tag build " + id + " " + value + hint + "?\nReason:", "");
        if (why === null) return;
        send("POST", "/v1/builds/" + enc(id) + "/tags", { value: value, comment: why.trim() }, "Tag build " + id + " " + value, { confirm: false }).then(function (r) {
          if (r.ok) { keepStatusForReload(); window.location.reload(); }
        });
      });
    });
  }

  // wireRollbackButtons makes every "roll back to this deploy" button (data-rollback-to, on
  // the history and deploy pages) roll its stage back to that deploy's build.
  function wireRollbackButtons() {
    document.querySelectorAll("button[data-rollback-to]").forEach(function (b) {
      if (b.dataset.wired) return;
      b.dataset.wired = "1";
      b.addEventListener("click", function () {
        var holder = b.closest("[data-env]");
        var env = holder.dataset.env, stage = holder.dataset.stage;
        var what = "Roll " + env + "/" + stage + " back to build " + b.dataset.build + " of deploy " + b.dataset.rollbackTo;
        act(stageAPI(env, stage) + "/actions/rollback", { toDeployId: b.dataset.rollbackTo }, what);
      });
    });
  }

  // retryHosts starts the current deploy over on each named host of env/stage (the hosts'
  // own Retry action, one after another), after one confirmation, and says how it went.
  function retryHosts(env, stage, names) {
    var what = "Retry " + names.length + " failed host" + (names.length === 1 ? "" : "s") + " of " + env + "/" + stage + " (" + names.join(", ") + ")";
    if (!names.length) { say("No failed hosts to retry."); return Promise.resolve(); }
    if (!signedIn()) return Promise.resolve();
    if (!window.confirm(what + "?")) return Promise.resolve();
    var done = [], refused = [];
    var chain = Promise.resolve();
    names.forEach(function (name) {
      chain = chain.then(function () {
        return send("POST", stageAPI(env, stage) + "/hosts/" + enc(name) + "/actions/retry", {}, "Retry " + name, { confirm: false }).then(function (r) {
          if (r.ok) done.push(name); else refused.push(name + ": " + errorMessage(r.body, r.status));
        });
      });
    });
    return chain.then(function () {
      say(what + ": " + done.length + " retried" + (refused.length ? "; refused: " + refused.join("; ") : "") + ".");
    });
  }

  // keepStatusForReload carries the status line over a reload the page does itself (the
  // answer to an action should not vanish because the new deploy redrew the page).
  function keepStatusForReload() {
    var el = document.getElementById("status");
    if (el && el.textContent) sessionStorage.setItem(statusKey, JSON.stringify({ text: el.textContent, at: Date.now() }));
  }

  function restoreStatus() {
    var kept = sessionStorage.getItem(statusKey);
    sessionStorage.removeItem(statusKey);
    if (!kept) return;
    try {
      var v = JSON.parse(kept);
      if (Date.now() - v.at < 60000) say(v.text);
    } catch (e) { /* a malformed entry is dropped */ }
  }

  window.teletraan = {
    say: say, askWho: askWho, send: send, errorMessage: errorMessage, keepStatusForReload: keepStatusForReload,
    hostPath: hostPath, deployPath: deployPath, stageAPI: stageAPI, getJSON: getJSON, utc: utc, hostColor: hostColor,
    wireBuildButtons: wireBuildButtons, act: act, retryHosts: retryHosts,
    // reoffer applies the caller's rights to buttons a page drew after loading.
    reoffer: function () { offerActions(lastWho); }
  };
  // showCutText gives a table cell that the layout cut short (an ellipsis) its full text as a
  // tooltip, so dense tables keep to the window's width without hiding anything.
  function showCutText(e) {
    var cell = e.target.closest && e.target.closest("table.fit td, table.fit th, summary");
    if (cell && !cell.title && cell.scrollWidth > cell.clientWidth) cell.title = cell.textContent.trim();
  }

  document.addEventListener("mouseover", showCutText);
  // wireVerdictButtons makes the deploy page's Accept and Reject buttons (data-verdict) give
  // the deploy's qualification its external verdict, asking for the reason, then reload.
  function wireVerdictButtons() {
    document.querySelectorAll("button[data-verdict]").forEach(function (b) {
      b.addEventListener("click", function () {
        var holder = b.closest("[data-deploy]");
        var id = holder.dataset.deploy, verdict = b.dataset.verdict;
        if (!signedIn()) return;
        var why = window.prompt((verdict === "ACCEPTED" ? "Accept" : "Reject") + " deploy " + id + "?\nReason (kept with the verdict):", "");
        if (why === null) return;
        send("PUT", "/v1/deploys/" + enc(id) + "/acceptance", { status: verdict, reason: why.trim() }, "Verdict " + verdict + " on deploy " + id, { confirm: false }).then(function (r) {
          if (!r.ok) return;
          keepStatusForReload();
          // The stage records the verdict a moment after the qualification hears it.
          setTimeout(function () { window.location.reload(); }, 1000);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    wireRollbackButtons();
    wireTagButtons();
    wireVerdictButtons();
    askWho().then(showWho);
    restoreStatus();
  });
})();
