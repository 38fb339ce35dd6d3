// Builds page: the Deploy and Hotfix buttons of each build, sent with the operator's token
// through window.teletraan.send (board.js), which writes the server's answer into #status
// with textContent. A hotfix asks why, because it jumps the stage's queue.
(function () {
  "use strict";
  var env = document.body.dataset.env;
  var stage = document.body.dataset.stage;
  var base = window.teletraan.stageAPI(env, stage);

  document.querySelectorAll("button[data-deploy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var id = b.dataset.deploy;
      window.teletraan.send("POST", base + "/deploys", { buildId: id }, "Deploy build " + id + " to " + env + "/" + stage);
    });
  });

  document.querySelectorAll("button[data-hotfix]").forEach(function (b) {
    b.addEventListener("click", function () {
      var id = b.dataset.hotfix;
      var what = "Hotfix " + env + "/" + stage + " with build " + id + " (pre-empts a regular deploy)";
      // The prompt is the confirmation: cancelling it sends nothing.
      var why = window.prompt(what + "?\nDescription (why this cannot wait):", "");
      if (why === null) return;
      window.teletraan.send("POST", base + "/actions/hotfix", { buildId: id, description: why.trim() }, what, { confirm: false });
    });
  });

  // Comparing a build with itself shows nothing; say so before leaving the page.
  var form = document.getElementById("compare-form");
  if (form) {
    form.addEventListener("submit", function (ev) {
      var from = form.querySelector("input[name=from]:checked");
      var to = form.querySelector("input[name=to]:checked");
      if (from && to && from.value === to.value) {
        ev.preventDefault();
        window.teletraan.say("Pick two different builds to compare (one “from”, one “to”).");
      }
    });
  }
})();
