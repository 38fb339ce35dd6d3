// The pipeline page: it fills in each stage's promotion (why it waits, the next candidate,
// the schedule's next wake) from GET /v1/pipelines/{env} and keeps builds and states
// current, every few seconds; the buttons pause, resume or promote a stage now, and give a
// deploy waiting for an external verdict its Accept or Reject (board.js sends those). Data from
// the server is only ever written with textContent.
(function () {
  "use strict";
  var t = window.teletraan;

  function set(li, cls, text, title) {
    var el = li.querySelector("." + cls);
    if (!el) return;
    el.textContent = text;
    if (title !== undefined) el.title = title;
  }

  function draw(p) {
    (p.stages || []).forEach(function (s) {
      var li = document.querySelector('.pipe-stage[data-stage="' + CSS.escape(s.stageName) + '"]');
      if (!li) return;
      if (s.current) {
        set(li, "pipe-build", s.current.buildId, s.current.buildId);
        set(li, "pipe-state", s.current.state + (s.current.operator ? " by " + s.current.operator : ""));
        var acc = s.current.acceptanceStatus;
        set(li, "pipe-acceptance", acc === "PENDING_DEPLOY" || !acc ? "no acceptance configured" : acc);
        var verdict = li.querySelector(".pipe-verdict");
        if (verdict) {
          verdict.dataset.deploy = s.current.id;
          verdict.hidden = acc !== "PENDING_ACCEPT";
        }
      }
      var pr = s.promotion;
      if (pr) {
        set(li, "pipe-why", pr.why || "—");
        set(li, "pipe-next", pr.next ? "build " + pr.next.buildId : "—");
        if (pr.nextScheduleTime) set(li, "pipe-schedule", "next at " + t.utc(pr.nextScheduleTime) + (pr.schedulePaused ? " (paused in the Temporal UI)" : ""));
        li.classList.toggle("pipe-off", !!(pr.pausedBy || pr.disabled));
      } else if (s.promotionError) {
        set(li, "pipe-why", "unknown: " + s.promotionError);
      }
    });
  }

  function refresh(env) {
    return t.getJSON("/v1/pipelines/" + encodeURIComponent(env)).then(function (p) { if (p) draw(p); }).catch(function (err) {
      t.say("Could not refresh the pipeline: " + err.message);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var env = document.body.dataset.pipeline;
    var labels = { pause: "Pause auto-promotion of ", resume: "Resume auto-promotion of ", now: "Promote the newest good candidate to " };
    document.querySelectorAll("button[data-promotion-action]").forEach(function (b) {
      b.addEventListener("click", function () {
        var stage = b.closest(".pipe-stage").dataset.stage;
        var action = b.dataset.promotionAction;
        t.act(t.stageAPI(env, stage) + "/promotion/actions/" + action, {}, labels[action] + env + "/" + stage, "optional: why; kept in the audit trail")
          .then(function () { refresh(env); });
      });
    });
    refresh(env);
    setInterval(function () { refresh(env); }, 3000);
  });
})();
