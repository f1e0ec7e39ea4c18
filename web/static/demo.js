// The demo page's status banner and migration notices, fed by the helpdesk's live phase status
// (/api/status). Everything is inserted as text.
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

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function showMigrations(status) {
    var box = document.getElementById("migration-notices");
    if (!status || !status.migrations) return;
    box.replaceChildren();
    status.migrations.forEach(function (migration) {
      var article = box.appendChild(el("article", undefined, "notice"));
      article.appendChild(el("h3", migration.title));
      var list = article.appendChild(el("ul"));
      migration.phases.forEach(function (phase) {
        var item = list.appendChild(el("li"));
        item.appendChild(el("strong", phase.label + ": "));
        item.appendChild(document.createTextNode(phase.window + " – " + phase.state + "."));
        if (phase.impact) item.appendChild(el("span", " " + phase.impact, "impact"));
        if (phase.note) item.appendChild(el("span", " Note: " + phase.note, "note"));
      });
    });
  }

  function refresh() {
    fetch("/api/status", { cache: "no-store" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        show(status);
        showMigrations(status);
      })
      .catch(function () { /* keep the last banner; the next refresh tries again */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    refresh();
    setInterval(refresh, REFRESH_MS);
  });
})();
