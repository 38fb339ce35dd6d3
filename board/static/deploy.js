// Deploy page: while the deploy is active, redraw the page whenever its state or counts
// move, so that the failed-host list and the waves table stay current without a manual
// reload, and retry its failed hosts on request. The page only includes this script for a
// deploy that has not ended.
(function () {
  "use strict";
  var id = document.body.dataset.deploy;
  var pollMs = 3000;
  var shown = null;

  // fingerprint is what, when it changes, makes the page worth redrawing.
  function fingerprint(d) {
    return [d.state, d.paused, d.stateReason, d.total, d.succeeded, d.failed, d.inFlight, d.remaining, d.endedAt || ""].join("|");
  }

  function poll() {
    window.teletraan.getJSON("/v1/deploys/" + encodeURIComponent(id)).then(function (v) {
      if (!v || !v.deploy) return;
      var now = fingerprint(v.deploy);
      // The page only runs this for a deploy that had not ended, so an end always redraws.
      if (v.deploy.endedAt || (shown !== null && now !== shown)) {
        window.location.reload();
        return;
      }
      shown = now;
    }).catch(function (err) {
      // A failed poll keeps the page as it is; the next one may succeed.
      console.warn("deploy poll:", err);
    }).then(function () { setTimeout(poll, pollMs); });
  }
  // Retry failed hosts: the failed and stuck hosts the deploy recorded.
  var retry = document.getElementById("retry-failed");
  if (retry) {
    retry.addEventListener("click", function () {
      var names = Array.prototype.map.call(document.querySelectorAll("tr[data-failed-host]"), function (tr) { return tr.dataset.failedHost; });
      window.teletraan.retryHosts(document.body.dataset.env, document.body.dataset.stage, names);
    });
  }
  poll();
})();
