// Contacts pages: select-all on the list; the CSV importer (preview of the file's start with a
// column mapping, then the import and its progress). Text goes in with textContent only.
(function () {
  "use strict";
  var all = document.querySelector("[data-select-all]");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  var box = document.getElementById("importer");
  if (!box || !window.repdesk) return;
  var api = window.repdesk.api;
  var base = "/api/assistants/" + box.getAttribute("data-assistant") + "/contacts/import";
  var fileInput = document.getElementById("import-file");
  var preview = document.getElementById("preview");
  var errorBox = document.getElementById("import-error");
  var columns = [];
  var TARGETS = [["phone", "Phone"], ["name", "Name"], ["email", "Email"], ["tags", "Tags"], ["skip", "Skip"]];

  function showError(message) { errorBox.textContent = message; errorBox.hidden = !message; }
  function el(tag, text) { var e = document.createElement(tag); if (text != null) e.textContent = text; return e; }

  function mappingSelect(column, suggested) {
    var select = el("select");
    select.setAttribute("aria-label", "Column " + column);
    select.setAttribute("data-column", column);
    var options = TARGETS.slice();
    var attr = suggested.indexOf("attribute:") === 0 ? suggested : "attribute:" + column.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
    options.splice(4, 0, [attr, "Attribute " + attr.slice(10)]);
    options.forEach(function (o) {
      var opt = el("option", o[1]); opt.value = o[0];
      if (o[0] === suggested) opt.selected = true;
      select.appendChild(opt);
    });
    return select;
  }

  fileInput.addEventListener("change", function () {
    showError("");
    var file = fileInput.files[0];
    if (!file) return;
    var form = new FormData();
    form.append("file", file.slice(0, 65536), file.name);
    api("POST", base + "/preview", form).then(function (p) {
      columns = p.columns;
      var table = preview.querySelector("table");
      var head = table.querySelector("thead"), body = table.querySelector("tbody");
      head.textContent = ""; body.textContent = "";
      var names = el("tr"), maps = el("tr");
      p.columns.forEach(function (c) {
        names.appendChild(el("th", c));
        var cell = el("th"); cell.appendChild(mappingSelect(c, p.mapping[c] || "skip")); maps.appendChild(cell);
      });
      head.appendChild(names); head.appendChild(maps);
      p.rows.forEach(function (r) {
        var tr = el("tr");
        p.columns.forEach(function (_c, i) { tr.appendChild(el("td", r[i] || "")); });
        body.appendChild(tr);
      });
      preview.hidden = false;
    }).catch(function (e) { showError(e.message); });
  });

  document.getElementById("start-import").addEventListener("click", function () {
    showError("");
    var mapping = {};
    preview.querySelectorAll("select[data-column]").forEach(function (s) { mapping[s.getAttribute("data-column")] = s.value; });
    var form = new FormData();
    form.append("file", fileInput.files[0]);
    form.append("defaultCountry", document.getElementById("default-country").value.trim());
    form.append("mapping", JSON.stringify(mapping));
    api("POST", base, form).then(function (r) {
      preview.hidden = true;
      document.getElementById("progress").hidden = false;
      poll(r.importId);
    }).catch(function (e) { showError(e.message); });
  });

  function poll(id) {
    api("GET", "/api/imports/" + id).then(function (s) {
      var bar = document.querySelector("#progress progress");
      var done = s.created + s.updated + s.failed;
      bar.max = Math.max(1, s.total); bar.value = Math.min(done, bar.max);
      document.querySelector("[data-testid=import-status]").textContent =
        (s.status === "done" ? "Done: " : "Importing: ") + s.created + " created, " + s.updated +
        " updated, " + s.failed + " refused" + (s.total ? " (of " + s.total + " rows)" : "");
      var table = document.querySelector("[data-testid=import-errors]");
      var body = table.querySelector("tbody"); body.textContent = "";
      s.errors.forEach(function (e) {
        var tr = el("tr"); tr.appendChild(el("td", String(e.row))); tr.appendChild(el("td", e.message)); body.appendChild(tr);
      });
      table.hidden = !s.errors.length;
      if (s.status === "queued" || s.status === "running") setTimeout(function () { poll(id); }, 700);
    }).catch(function () { setTimeout(function () { poll(id); }, 3000); });
  }
})();
