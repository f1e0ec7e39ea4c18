// The demo page's status banner, fed by the helpdesk's live phase status (/api/status).
(function () {
  "use strict";
  var REFRESH_MS = 60000;

  function show(status) {
    var banner = document.getElementById("status-banner");
    if (!status || status.level === "none" || !status.text) {
      banner.hidden = true;
      return;
    }
    banner.textContent = status.text;
    banner.className = "banner banner-" + status.level;
    banner.hidden = false;
  }

  function refresh() {
    fetch("/api/status", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(show)
      .catch(function () { /* keep the last banner; the next refresh tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
