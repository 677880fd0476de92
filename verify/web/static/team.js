// The capture button of a claim page: start the capture in the background and show its
// progress until it is done, then reload the page to show the new snapshots.
(function () {
  "use strict";
  function poll(box) {
    var bar = document.getElementById("capture-progress");
    var status = document.getElementById("capture-status");
    fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (job.state === "idle") return;
        bar.hidden = false;
        bar.max = job.total || 1;
        bar.value = job.done || 0;
        status.textContent = job.state + ": " + (job.done || 0) + " of " + job.total +
          (job.message ? " (" + job.message + ")" : "");
        if (job.state === "running") { setTimeout(function () { poll(box); }, 300); }
        else if (job.state === "done") { setTimeout(function () { window.location.reload(); }, 600); }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("capture");
    if (!box) return;
    var form = document.getElementById("capture-form");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      document.getElementById("capture-button").disabled = true;
      fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                           headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .then(function () { poll(box); })
        .catch(function (err) { document.getElementById("capture-status").textContent = "refused: " + err.message; });
    });
    if (box.dataset.running) poll(box);
  });
})();
