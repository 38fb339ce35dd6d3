// The audit page: reads GET /v1/audit with the page's filters and writes the entries as
// text (never as HTML). The API decides who may read them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var tt = window.teletraan;
    var q = new URLSearchParams(window.location.search);
    var params = new URLSearchParams();
    ["env", "stage", "actor", "since", "until"].forEach(function (k) { if (q.get(k)) params.set(k, q.get(k)); });
    var body = document.querySelector("#audit tbody");
    fetch("/v1/audit?" + params.toString(), { headers: { Accept: "application/json" } }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (!r.ok) { tt.say("Cannot show the audit trail: " + tt.errorMessage(j, r.status)); return; }
        var entries = j.entries || [];
        tt.say(entries.length ? entries.length + " entries, newest first." : "No entries match.");
        entries.forEach(function (e) {
          var tr = document.createElement("tr");
          tr.className = "audit-entry";
          var what = e.method === "WORKFLOW" ? e.route : e.method + " " + e.path;
          [tt.utc(e.at), e.actor || "(nobody)", e.role || "—", e.remoteAddr || "—", what,
            e.envName ? e.envName + (e.stageName ? "/" + e.stageName : "") : "—",
            e.status ? String(e.status) + (e.errorCode ? " " + e.errorCode : "") : "—", e.detail || ""].forEach(function (text) {
            var td = document.createElement("td");
            td.textContent = text;
            tr.appendChild(td);
          });
          body.appendChild(tr);
        });
      });
    }).catch(function (err) { tt.say("Cannot show the audit trail: " + err.message); });
  });
})();
