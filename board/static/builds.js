// Builds page: the Deploy and Hotfix buttons of each build (wired by board.js, as on the
// stage page) and the compare form's check.
(function () {
  "use strict";
  var env = document.body.dataset.env;
  var stage = document.body.dataset.stage;

  window.teletraan.wireBuildButtons(env, stage);

  // The tag form tags the build picked, with the reason typed, then reloads to show it.
  var tagForm = document.getElementById("tag-form");
  if (tagForm) {
    tagForm.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var id = document.getElementById("tag-build").value;
      var value = document.getElementById("tag-value").value;
      var comment = document.getElementById("tag-comment").value.trim();
      var what = "Tag build " + id + " " + value;
      window.teletraan.send("POST", "/v1/builds/" + encodeURIComponent(id) + "/tags", { value: value, comment: comment }, what).then(function (r) {
        if (r.ok) { window.teletraan.keepStatusForReload(); window.location.reload(); }
      });
    });
  }

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
