// Segments page: the filter builder. Conditions are ANDed; an OR group matches when any of its
// conditions does. Every change asks the preview endpoint for the live count (debounced); the
// DOM is built with textContent only (contact names never go through innerHTML).
(function () {
  "use strict";
  var root = document.getElementById("segment-builder");
  if (!root || !window.repdesk) return;
  var cfg = JSON.parse(document.getElementById("segment-config").textContent);
  var initial = JSON.parse(document.getElementById("segment-filter").textContent);
  var assistantId = root.getAttribute("data-assistant");
  var segmentId = root.getAttribute("data-segment");
  var byField = {};
  cfg.fields.forEach(function (f) { byField[f.field] = f; });
  var items = []; // {kind:"cond", c:{…}} | {kind:"group", conds:[{…}]}
  var timer = null, seq = 0;

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function specOf(c) { return byField[c.field.indexOf("attributes.") === 0 ? "attributes." : c.field]; }
  function blank() { return { field: "lastMessageAt", op: "before", a: "14", b: "", mode: "ago", key: "" }; }
  function list(s) { return String(s).split(",").map(function (x) { return x.trim(); }).filter(Boolean); }
  function minor(s) { var n = parseFloat(String(s).replace(/[,\s₦$£€]/g, "")); return isFinite(n) && n >= 0 ? Math.round(n * 100) : null; }
  function num(s) { var n = parseFloat(s); return isFinite(n) ? n : null; }
  function money(s) { var m = minor(s); return m === null ? null : { amount: m, currency: cfg.currency }; }
  function guess(s) {
    if (s === "true" || s === "false") return s === "true";
    return /^-?\d+(\.\d+)?$/.test(s) ? parseFloat(s) : s;
  }

  // UI state -> API condition (null while incomplete)
  function toJSON(c) {
    var spec = specOf(c), op = c.op, t = spec.type, field = c.field, v = null;
    if (t === "attribute") { if (!/^[A-Za-z0-9_\-]{1,64}$/.test(c.key)) return null; field = "attributes." + c.key; }
    if (op === "is_set" || op === "is_not_set") return { field: field, op: op, value: null };
    var a = Array.isArray(c.a) ? c.a : String(c.a || "").trim(), b = String(c.b || "").trim();
    if (!a.length) return null;
    if (t === "date") {
      if (op === "within") v = num(a) > 0 ? { days: Math.round(num(a)) } : null;
      else if (op === "between") v = a && b ? [a, b] : null;
      else if (c.mode === "ago") v = num(a) > 0 ? { ago: { days: Math.round(num(a)) } } : null;
      else v = a;
    } else if (t === "number") {
      if (op === "between") v = num(a) !== null && num(b) !== null ? [num(a), num(b)] : null;
      else if (op === "in") { v = list(a).map(num); if (v.indexOf(null) >= 0) v = null; }
      else v = num(a);
    } else if (t === "money") {
      if (op === "between") v = money(a) && money(b) ? [money(a), money(b)] : null;
      else v = money(a);
    } else if (t === "boolean") { v = a === "true"; }
    else if (op === "in") { v = Array.isArray(a) ? a : list(a); if (!v.length) v = null; }
    else if (t === "attribute") { v = guess(a); }
    else { v = a; }
    return v === null ? null : { field: field, op: op, value: v };
  }

  // API condition -> UI state
  function fromJSON(j) {
    var c = blank(), v = j.value;
    c.field = j.field; c.op = j.op; c.a = ""; c.mode = "date";
    if (j.field.indexOf("attributes.") === 0) { c.key = j.field.slice(11); c.field = "attributes."; }
    var t = (specOf(c) || {}).type;
    if (v && v.ago) { c.mode = "ago"; c.a = String(v.ago.days || 0); }
    else if (v && v.days !== undefined) { c.a = String(v.days); }
    else if (Array.isArray(v) && j.op === "between") {
      c.a = t === "money" ? String(v[0].amount / 100) : String(v[0]).slice(0, 10);
      c.b = t === "money" ? String(v[1].amount / 100) : String(v[1]).slice(0, 10);
      if (t === "number") { c.a = String(v[0]); c.b = String(v[1]); }
    } else if (Array.isArray(v)) { c.a = (t === "enum" || t === "product") ? v.map(String) : v.join(", "); }
    else if (v && v.amount !== undefined) { c.a = String(v.amount / 100); }
    else if (v !== null && v !== undefined) { c.a = t === "date" ? String(v).slice(0, 10) : String(v); }
    return c;
  }

  function filterJSON() {
    var all = [], skipped = 0;
    items.forEach(function (it) {
      if (it.kind === "cond") { var j = toJSON(it.c); if (j) all.push(j); else skipped++; }
      else {
        var any = [];
        it.conds.forEach(function (c) { var j = toJSON(c); if (j) any.push(j); else skipped++; });
        if (any.length) all.push({ any: any });
      }
    });
    return { filter: { all: all }, skipped: skipped };
  }

  function schedule() { clearTimeout(timer); timer = setTimeout(preview, 250); }

  function preview() {
    var built = filterJSON(), mine = ++seq;
    var count = root.querySelector("[data-testid=segment-count]");
    var err = root.querySelector("[data-testid=segment-error]");
    var label = root.querySelector("[data-testid=segment-count-label]");
    root.setAttribute("data-loading", "1");
    window.repdesk.api("POST", "/api/assistants/" + assistantId + "/segments/preview", { filter: built.filter })
      .then(function (res) {
        if (mine !== seq) return;
        err.hidden = true;
        count.textContent = String(res.count);
        label.textContent = (res.count === 1 ? "matching contact" : "matching contacts") +
          (built.skipped ? " (" + built.skipped + " unfinished condition" + (built.skipped > 1 ? "s" : "") + " left out)" : "");
        var ul = root.querySelector("[data-testid=segment-sample]");
        ul.textContent = "";
        res.sample.forEach(function (ct) { ul.appendChild(el("li", {}, ct.name || ct.phone || ct.visitorId || ct.id)); });
      })
      .catch(function (e) { if (mine !== seq) return; err.hidden = false; err.textContent = e.message; })
      .then(function () { if (mine === seq) root.removeAttribute("data-loading"); });
  }

  function select(options, value, aria) {
    var s = el("select", { "aria-label": aria });
    options.forEach(function (o) {
      var opt = el("option", { value: o.value }, o.label);
      if (Array.isArray(value) ? value.indexOf(o.value) >= 0 : o.value === value) opt.selected = true;
      s.appendChild(opt);
    });
    return s;
  }
  function input(c, prop, attrs) {
    var i = el("input", Object.assign({ type: "text" }, attrs));
    i.value = c[prop] || "";
    i.addEventListener("input", function () { c[prop] = i.value; schedule(); });
    return i;
  }

  function valueControls(c, spec) {
    var box = el("span", { "class": "seg-value" }), op = c.op, t = spec.type;
    if (op === "is_set" || op === "is_not_set") return box;
    if (t === "attribute") box.appendChild(input(c, "key", { placeholder: "key, e.g. city", "aria-label": "Attribute key", size: "10" }));
    if (t === "date" && (op === "before" || op === "after")) {
      var mode = select([{ value: "ago", label: "days ago" }, { value: "date", label: "the date" }], c.mode, "Date kind");
      mode.addEventListener("change", function () { c.mode = mode.value; c.a = ""; render(); schedule(); });
      box.appendChild(input(c, "a", c.mode === "ago" ? { type: "number", min: "1", "aria-label": "Days ago", size: "5" } : { type: "date", "aria-label": "Date" }));
      box.appendChild(mode);
    } else if (t === "date" && op === "within") {
      box.appendChild(input(c, "a", { type: "number", min: "1", "aria-label": "Days", size: "5" }));
      box.appendChild(el("span", {}, "days"));
    } else if (op === "between") {
      var kind = t === "date" ? { type: "date" } : { type: "text", inputmode: "decimal", size: "8" };
      box.appendChild(input(c, "a", Object.assign({ "aria-label": "From" }, kind)));
      box.appendChild(el("span", {}, "and"));
      box.appendChild(input(c, "b", Object.assign({ "aria-label": "To" }, kind)));
    } else if (t === "enum" || t === "boolean" || t === "product") {
      var opts = t === "boolean" ? [{ value: "true", label: "yes" }, { value: "false", label: "no" }]
        : t === "product" ? cfg.products.map(function (p) { return { value: p.id, label: p.name }; }) : spec.options;
      var multi = op === "in";
      if (!multi && !c.a && opts.length) c.a = opts[0].value;
      var s = select(opts, c.a, "Value");
      if (multi) s.multiple = true;
      s.addEventListener("change", function () {
        c.a = multi ? Array.prototype.map.call(s.selectedOptions, function (o) { return o.value; }) : s.value;
        schedule();
      });
      box.appendChild(s);
    } else {
      var attrs = { "aria-label": "Value", size: "12" };
      if (t === "money") { attrs.inputmode = "decimal"; attrs.placeholder = cfg.currency === "NGN" ? "₦50,000" : "50000"; }
      if (t === "number" && op !== "in") { attrs.type = "number"; attrs.step = "any"; }
      if (op === "in") attrs.placeholder = "comma, separated";
      if (t === "tags") { attrs.list = "segment-tags"; }
      box.appendChild(input(c, "a", attrs));
      if (t === "money") box.appendChild(el("span", { "class": "muted" }, cfg.currency));
    }
    return box;
  }

  function row(c, remove) {
    var r = el("div", { "class": "seg-row", "data-testid": "segment-condition" });
    var spec = specOf(c);
    var fs = select(cfg.fields.map(function (f) { return { value: f.field, label: f.label }; }), spec.field, "Field");
    fs.addEventListener("change", function () {
      var next = byField[fs.value];
      c.field = fs.value; c.op = next.ops[0]; c.a = ""; c.b = ""; c.mode = "ago";
      render(); schedule();
    });
    var os = select(spec.ops.map(function (o) { return { value: o, label: cfg.opLabels[o] }; }), c.op, "Operator");
    os.addEventListener("change", function () { c.op = os.value; c.a = ""; c.b = ""; render(); schedule(); });
    var x = el("button", { type: "button", "class": "link danger", "aria-label": "Remove condition" }, "✕");
    x.addEventListener("click", function () { remove(); render(); schedule(); });
    r.appendChild(fs); r.appendChild(os); r.appendChild(valueControls(c, spec)); r.appendChild(x);
    return r;
  }

  function render() {
    var box = root.querySelector("[data-testid=segment-conditions]");
    box.textContent = "";
    items.forEach(function (it, i) {
      if (i) box.appendChild(el("div", { "class": "seg-and" }, "and"));
      if (it.kind === "cond") { box.appendChild(row(it.c, function () { items.splice(i, 1); })); return; }
      var g = el("div", { "class": "seg-group", "data-testid": "segment-group" });
      g.appendChild(el("span", { "class": "seg-or" }, "any of:"));
      it.conds.forEach(function (c, j) {
        g.appendChild(row(c, function () { it.conds.splice(j, 1); if (!it.conds.length) items.splice(i, 1); }));
      });
      var add = el("button", { type: "button", "class": "link" }, "+ or…");
      add.addEventListener("click", function () { it.conds.push(blank()); render(); schedule(); });
      g.appendChild(add);
      box.appendChild(g);
    });
  }

  root.querySelector("[data-add=condition]").addEventListener("click", function () { items.push({ kind: "cond", c: blank() }); render(); schedule(); });
  root.querySelector("[data-add=group]").addEventListener("click", function () { items.push({ kind: "group", conds: [blank(), blank()] }); render(); schedule(); });
  root.querySelector("[data-save]").addEventListener("click", function () {
    var name = root.querySelector("input[name=segment-name]").value.trim();
    var err = root.querySelector("[data-testid=segment-error]");
    if (!name) { err.hidden = false; err.textContent = "Give the segment a name."; return; }
    var body = { name: name, filter: filterJSON().filter };
    var call = segmentId ? window.repdesk.api("PATCH", "/api/segments/" + segmentId, body)
      : window.repdesk.api("POST", "/api/assistants/" + assistantId + "/segments", body);
    call.then(function (s) {
      window.location.href = "/assistants/" + assistantId + "/segments?flash=" + encodeURIComponent("Saved " + s.name + ": " + s.count + " contacts now.");
    }).catch(function (e) { err.hidden = false; err.textContent = e.message; });
  });

  var dl = el("datalist", { id: "segment-tags" });
  cfg.tags.forEach(function (t) { dl.appendChild(el("option", { value: t })); });
  root.appendChild(dl);
  (initial.all || []).forEach(function (it) {
    if (it.any) items.push({ kind: "group", conds: it.any.map(fromJSON) });
    else items.push({ kind: "cond", c: fromJSON(it) });
  });
  render();
  preview();
})();
