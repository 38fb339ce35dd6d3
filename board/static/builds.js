// Builds page: the Deploy and Hotfix buttons of each build (wired by board.js, as on the
// stage page) and the compare form's check.
(function () {
  "use strict";
  var env = document.body.dataset.env;
  var stage = document.body.dataset.stage;

  window.teletraan.wireBuildButtons(env, stage);

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
