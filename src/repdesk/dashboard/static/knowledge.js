// Knowledge pages: while the index is being rebuilt, poll its status and update the badge
// (textContent only; customer text never goes through innerHTML).
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box || !window.repdesk) return;
  var labels = { ready: "Up to date", indexing: "Indexing…", failed: "Indexing failed" };
  function poll() {
    window.repdesk.api("GET", box.getAttribute("data-status-url")).then(function (s) {
      var badge = box.querySelector("[data-testid=index-state]");
      badge.textContent = labels[s.status] || s.status;
      badge.className = "badge kb-" + s.status;
      box.querySelector("[data-testid=index-counts]").textContent =
        s.chunks + " passages" + (s.embeddings ? ", " + s.embeddedChunks + " with embeddings" : "");
      var had = box.getAttribute("data-status");
      box.setAttribute("data-status", s.status);
      var reading = box.getAttribute("data-processing") !== "0";
      box.setAttribute("data-processing", String(s.processingDocuments));
      if (s.status === "indexing") { setTimeout(poll, 1500); }
      // a document read meanwhile (ready or failed) or new contradictions: show them
      else if (had === "indexing" && (reading || s.contradictions.length)) { window.location.reload(); }
    }).catch(function () { setTimeout(poll, 5000); });
  }
  if (box.getAttribute("data-status") === "indexing") setTimeout(poll, 800);
})();
