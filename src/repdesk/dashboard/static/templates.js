// Templates page: the template editor. It keeps the template in Meta's component shape, checks
// it with the same rules and limits as the server (channels/whatsapp/template_rules.py; the
// limits come from the page), and renders a live preview as WhatsApp shows it: header, body
// with the example values in place of {{1}}, {{2}}…, footer and buttons. The DOM is built with
// textContent only. On submit the components go in a hidden field; a draft survives a refusal.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  if (!form) return;
  var L = JSON.parse(document.getElementById("template-rules").textContent);
  var initial = JSON.parse(document.getElementById("template-initial").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var f = {
    name: $("tpl-name"), language: $("tpl-language"), category: $("tpl-category"),
    kind: $("tpl-header-kind"), htext: $("tpl-header-text"), hexample: $("tpl-header-example"),
    hfile: $("tpl-header-file"), body: $("tpl-body"), footer: $("tpl-footer"),
    security: $("tpl-security"), expiry: $("tpl-expiry")
  };
  var buttons = [];       // {type, text, url, example, phone_number}
  var examples = [];      // body example values, by variable number - 1
  var handle = "";        // an existing header_handle (editing)
  var fileUrl = "";       // blob: URL of the chosen sample (preview only)
  var DRAFT = "repdesk.template-draft";
  var MEDIA = ["IMAGE", "VIDEO", "DOCUMENT"];

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { n.setAttribute(k, attrs[k]); });
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function isAuth() { return f.category.value === "AUTHENTICATION"; }
  function vars(text) {
    var out = [], re = /\{\{(.*?)\}\}/g, m;
    while ((m = re.exec(text))) out.push(m[1]);
    return out;
  }

  // -- Meta's shape ------------------------------------------------------------------------
  function build() {
    var comps = [], kind = f.kind.value;
    if (!isAuth() && kind === "TEXT") {
      var h = { type: "HEADER", format: "TEXT", text: f.htext.value };
      if (vars(f.htext.value).length) h.example = { header_text: [f.hexample.value] };
      comps.push(h);
    } else if (!isAuth() && MEDIA.indexOf(kind) >= 0) {
      var chosen = f.hfile.files && f.hfile.files.length;
      comps.push({ type: "HEADER", format: kind, example: { header_handle: [chosen ? "upload" : handle] } });
    }
    if (isAuth()) {
      var b = { type: "BODY" };
      if (f.security.checked) b.add_security_recommendation = true;
      comps.push(b);
      if (f.expiry.value) comps.push({ type: "FOOTER", code_expiration_minutes: parseInt(f.expiry.value, 10) });
      comps.push({ type: "BUTTONS", buttons: [{ type: "OTP", otp_type: "COPY_CODE", text: "Copy code" }] });
    } else {
      var body = { type: "BODY", text: f.body.value };
      var n = bodyVarCount();
      var values = [];
      for (var i = 0; i < n; i++) values.push(examples[i] || "");
      if (n) body.example = { body_text: [values] };
      comps.push(body);
      if (f.footer.value) comps.push({ type: "FOOTER", text: f.footer.value });
      if (buttons.length) comps.push({ type: "BUTTONS", buttons: buttons.map(metaButton) });
    }
    return { name: f.name.value.trim(), language: f.language.value.trim(), category: f.category.value, components: comps };
  }
  function metaButton(b) {
    var out = { type: b.type, text: b.text };
    if (b.type === "URL") { out.url = b.url; if (vars(b.url).length) out.example = [(b.example || [""])[0]]; }
    if (b.type === "PHONE_NUMBER") out.phone_number = b.phone_number;
    return out;
  }
  function bodyVarCount() {
    var max = 0;
    vars(f.body.value).forEach(function (v) { if (/^[1-9]\d*$/.test(v)) max = Math.max(max, parseInt(v, 10)); });
    return Math.min(max, 50);
  }

  // -- the server's checks, mirrored ---------------------------------------------------------
  function checkVars(text, field, errs) {
    var found = vars(text), expected = 1;
    for (var i = 0; i < found.length; i++) {
      if (!/^[1-9]\d*$/.test(found[i])) { errs.push([field, "'{{" + found[i] + "}}' is not a variable: use numbered ones, {{1}}, {{2}}..."]); return found; }
      var n = parseInt(found[i], 10);
      if (n === expected) expected++;
      else if (n > expected) { errs.push([field, "variables must be numbered in order: {{" + expected + "}} comes before {{" + n + "}}."]); return found; }
    }
    if (/\}\}\s*\{\{/.test(text)) errs.push([field, "two variables must have text between them."]);
    return found;
  }
  function checkText(value, field, max, errs, optional) {
    if (!value || !value.trim()) { if (!optional) errs.push([field, "is required."]); return false; }
    if (value.length > max) { errs.push([field, "must be at most " + max + " characters (it has " + value.length + ")."]); return false; }
    return true;
  }
  function check(t) {
    var errs = [];
    if (checkText(t.name, "name", L.name_max, errs) && !/^[a-z0-9_]+$/.test(t.name)) errs.push(["name", "use only lowercase letters, digits and underscores."]);
    if (!/^[a-z]{2,3}(_[A-Z]{2})?$/.test(t.language)) errs.push(["language", "must be a language code such as en or en_US."]);
    t.components.forEach(function (c) {
      if (c.type === "HEADER" && c.format === "TEXT") {
        if (checkText(c.text, "header.text", L.header_max, errs)) {
          var hv = checkVars(c.text, "header.text", errs);
          if (hv.length > 1) errs.push(["header.text", "may have at most one variable, {{1}}."]);
          else if (hv.length && !(c.example.header_text[0] || "").trim()) errs.push(["header.example.header_text[0]", "is required."]);
        }
      } else if (c.type === "HEADER") {
        if (!c.example.header_handle[0]) errs.push(["header.example.header_handle", "an " + c.format.toLowerCase() + " header needs a sample file uploaded (its header_handle)."]);
      } else if (c.type === "BODY" && !isAuth()) {
        if (checkText(c.text, "body.text", L.body_max, errs)) {
          var found = checkVars(c.text, "body.text", errs), s = c.text.trim();
          if (found.length && (s.indexOf("{{") === 0 || s.slice(-2) === "}}")) errs.push(["body.text", "may not start or end with a variable."]);
          (c.example ? c.example.body_text[0] : []).forEach(function (v, i) {
            checkText(v, "body.example.body_text[" + i + "]", L.example_max, errs);
          });
        }
      } else if (c.type === "FOOTER" && c.text !== undefined) {
        if (checkText(c.text, "footer.text", L.footer_max, errs) && /\{\{/.test(c.text)) errs.push(["footer.text", "may not contain variables."]);
      } else if (c.type === "FOOTER") {
        if (!(c.code_expiration_minutes >= 1 && c.code_expiration_minutes <= L.code_expiration_max)) errs.push(["footer.code_expiration_minutes", "must be 1 to " + L.code_expiration_max + " minutes."]);
      } else if (c.type === "BUTTONS" && !isAuth()) {
        checkButtons(c.buttons, errs);
      }
    });
    return errs;
  }
  function checkButtons(list, errs) {
    var count = function (k) { return list.filter(function (b) { return b.type === k; }).length; };
    if (list.length > L.buttons_max) errs.push(["buttons", "at most " + L.buttons_max + " buttons."]);
    if (count("URL") > L.url_buttons_max) errs.push(["buttons", "at most " + L.url_buttons_max + " website buttons."]);
    if (count("PHONE_NUMBER") > L.phone_buttons_max) errs.push(["buttons", "at most one phone-number button."]);
    var q = [], texts = {};
    list.forEach(function (b, i) {
      var field = "buttons[" + i + "]";
      if (b.type === "QUICK_REPLY") q.push(i);
      if (checkText(b.text, field + ".text", L.button_text_max, errs)) {
        if (/\{\{/.test(b.text)) errs.push([field + ".text", "may not contain variables."]);
        if (texts[b.text]) errs.push(["buttons", "two buttons have the same text."]);
        texts[b.text] = true;
      }
      if (b.type === "URL" && checkText(b.url, field + ".url", L.url_max, errs)) {
        if (!/^https?:\/\/[^\s\/{}]+\.[^\s\/{}]+/.test(b.url)) errs.push([field + ".url", "must be a web address starting https://."]);
        var v = vars(b.url);
        if (v.length && (v.length > 1 || b.url.slice(-5) !== "{{1}}")) errs.push([field + ".url", "may have one variable, {{1}}, only at its end."]);
        else if (v.length && !/^https?:\/\//.test(b.example[0] || "")) errs.push([field + ".example", "must be the full example address."]);
      }
      if (b.type === "PHONE_NUMBER" && checkText(b.phone_number, field + ".phone_number", L.phone_max, errs)) {
        if (!/^\+?[1-9]\d{6,18}$/.test(b.phone_number)) errs.push([field + ".phone_number", "must be a phone number with its country code."]);
      }
    });
    if (q.length && q[q.length - 1] - q[0] + 1 !== q.length) errs.push(["buttons", "quick replies must be next to each other."]);
  }

  // -- the preview ---------------------------------------------------------------------------
  function formatted(parent, text) {
    // WhatsApp's *bold*, _italic_, ~strike~ and ```monospace```, as DOM nodes.
    var re = /(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~|```[^`]+```)/g, last = 0, m;
    var tags = { "*": "strong", "_": "em", "~": "s", "`": "code" };
    while ((m = re.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      var tok = m[0], mono = tok.indexOf("```") === 0;
      parent.appendChild(el(tags[tok[0]], {}, mono ? tok.slice(3, -3) : tok.slice(1, -1)));
      last = m.index + tok.length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }
  function fill(text, values) {
    return text.replace(/\{\{([1-9]\d*)\}\}/g, function (all, n) { return values[n - 1] || all; });
  }
  function preview(t) {
    var box = $("tpl-preview"), header = box.querySelector(".tpl-p-header"), body = box.querySelector(".tpl-p-body");
    var footer = box.querySelector(".tpl-p-footer"), btns = document.querySelector(".tpl-p-buttons");
    [header, body, footer, btns].forEach(function (n) { n.textContent = ""; });
    t.components.forEach(function (c) {
      if (c.type === "HEADER" && c.format === "TEXT") {
        header.appendChild(el("strong", {}, fill(c.text, (c.example || { header_text: [] }).header_text)));
      } else if (c.type === "HEADER" && c.format === "IMAGE" && fileUrl) {
        header.appendChild(el("img", { src: fileUrl, alt: "Header image", "data-testid": "tpl-preview-image" }));
      } else if (c.type === "HEADER") {
        var name = f.hfile.files && f.hfile.files.length ? f.hfile.files[0].name : "sample";
        header.appendChild(el("div", { "class": "tpl-p-media" }, { IMAGE: "🖼 Image", VIDEO: "▶ Video", DOCUMENT: "📄 " + name }[c.format]));
      } else if (c.type === "BODY" && isAuth()) {
        formatted(body, "*123456* is your verification code." + (c.add_security_recommendation ? " For your security, do not share this code." : ""));
      } else if (c.type === "BODY") {
        formatted(body, fill(c.text, c.example ? c.example.body_text[0] : []));
      } else if (c.type === "FOOTER") {
        footer.textContent = c.text !== undefined ? c.text : "This code expires in " + c.code_expiration_minutes + " minutes.";
      } else if (c.type === "BUTTONS") {
        c.buttons.forEach(function (b) {
          var icon = { QUICK_REPLY: "↩ ", URL: "↗ ", PHONE_NUMBER: "📞 ", OTP: "⧉ " }[b.type] || "";
          btns.appendChild(el("div", { "class": "tpl-p-button" }, icon + (b.text || "")));
        });
      }
    });
  }

  // -- the form ------------------------------------------------------------------------------
  function renderExamples() {
    var box = $("tpl-body-examples"), n = bodyVarCount();
    if (box.children.length === n) return;
    box.textContent = "";
    for (var i = 0; i < n; i++) {
      var label = el("label", {}, "Example for {{" + (i + 1) + "}} ");
      var input = el("input", { type: "text", "data-example": String(i), maxlength: String(L.example_max) });
      input.value = examples[i] || "";
      label.appendChild(input);
      box.appendChild(label);
    }
  }
  function renderButtons() {
    var box = $("tpl-buttons");
    box.textContent = "";
    if (isAuth()) return;
    buttons.forEach(function (b, i) {
      var row = el("div", { "class": "tpl-button-row", "data-button": String(i) });
      row.appendChild(el("span", { "class": "badge" }, { QUICK_REPLY: "Quick reply", URL: "Website", PHONE_NUMBER: "Phone" }[b.type]));
      var fields = [["text", "Button text", L.button_text_max]];
      if (b.type === "URL") fields.push(["url", "https://… (may end in {{1}})", L.url_max], ["example", "Example full address", L.url_max]);
      if (b.type === "PHONE_NUMBER") fields.push(["phone_number", "+234…", L.phone_max]);
      fields.forEach(function (spec) {
        var input = el("input", { type: "text", "data-key": spec[0], placeholder: spec[1], "aria-label": spec[1], maxlength: String(spec[2]) });
        input.value = (spec[0] === "example" ? (b.example || [""])[0] : b[spec[0]]) || "";
        row.appendChild(input);
      });
      row.appendChild(el("button", { type: "button", "class": "link danger", "data-remove": String(i) }, "Remove"));
      box.appendChild(row);
    });
  }
  function visibility() {
    var kind = f.kind.value, auth = isAuth();
    var shown = { TEXT: !auth && kind === "TEXT", "TEXT-VAR": !auth && kind === "TEXT" && vars(f.htext.value).length > 0, MEDIA: !auth && MEDIA.indexOf(kind) >= 0, AUTH: auth };
    form.querySelectorAll("[data-show]").forEach(function (n) { n.hidden = !shown[n.getAttribute("data-show")]; });
    form.querySelectorAll("[data-hide]").forEach(function (n) { n.hidden = !!shown[n.getAttribute("data-hide")]; });
    form.querySelector("[data-part=header]").hidden = auth;
  }
  function update() {
    visibility();
    renderExamples();
    var t = build(), errs = check(t), list = $("tpl-errors");
    list.textContent = "";
    errs.forEach(function (e) { list.appendChild(el("li", { "data-field": e[0] }, e[0] + ": " + e[1])); });
    preview(t);
    return { t: t, errs: errs };
  }

  form.addEventListener("input", function (ev) {
    var t = ev.target;
    if (t.hasAttribute("data-example")) examples[parseInt(t.getAttribute("data-example"), 10)] = t.value;
    var row = t.closest && t.closest("[data-button]");
    if (row && t.hasAttribute("data-key")) {
      var b = buttons[parseInt(row.getAttribute("data-button"), 10)], key = t.getAttribute("data-key");
      if (key === "example") b.example = [t.value]; else b[key] = t.value;
    }
    update();
  });
  form.addEventListener("change", function (ev) {
    if (ev.target === f.hfile) {
      if (fileUrl) URL.revokeObjectURL(fileUrl);
      fileUrl = f.hfile.files && f.hfile.files.length ? URL.createObjectURL(f.hfile.files[0]) : "";
    }
    if (ev.target === f.category) renderButtons();
    update();
  });
  form.addEventListener("click", function (ev) {
    var add = ev.target.closest("[data-add-button]"), rm = ev.target.closest("[data-remove]");
    if (add) { buttons.push({ type: add.getAttribute("data-add-button"), text: "", url: "", example: [""], phone_number: "" }); }
    else if (rm) { buttons.splice(parseInt(rm.getAttribute("data-remove"), 10), 1); }
    else return;
    renderButtons();
    update();
  });
  form.addEventListener("submit", function (ev) {
    var state = update();
    if (state.errs.length) { ev.preventDefault(); $("tpl-errors").scrollIntoView({ block: "center" }); return; }
    $("tpl-components").value = JSON.stringify(state.t.components);
    try { sessionStorage.setItem(DRAFT, JSON.stringify(state.t)); } catch (e) { /* private mode */ }
  });

  function load(t) {
    f.name.value = t.name || ""; f.language.value = t.language || "en_US";
    if (t.category) f.category.value = String(t.category).toUpperCase();
    (t.components || []).forEach(function (c) {
      var type = String(c.type || "").toUpperCase();
      if (type === "HEADER") {
        f.kind.value = String(c.format || "TEXT").toUpperCase();
        f.htext.value = c.text || "";
        f.hexample.value = ((c.example || {}).header_text || [""])[0];
        var h = ((c.example || {}).header_handle || [""])[0];
        handle = h && h !== "upload" ? h : "";
      } else if (type === "BODY") {
        f.body.value = c.text || "";
        examples = ((c.example || {}).body_text || [[]])[0].slice();
        f.security.checked = !!c.add_security_recommendation;
      } else if (type === "FOOTER") {
        f.footer.value = c.text || "";
        f.expiry.value = c.code_expiration_minutes || "";
      } else if (type === "BUTTONS") {
        buttons = (c.buttons || []).filter(function (b) { return String(b.type).toUpperCase() !== "OTP"; }).map(function (b) {
          return { type: String(b.type).toUpperCase(), text: b.text || "", url: b.url || "", example: b.example || [""], phone_number: b.phone_number || "" };
        });
      }
    });
  }
  var draft = null;
  try { draft = JSON.parse(sessionStorage.getItem(DRAFT) || "null"); } catch (e) { draft = null; }
  if (initial) load(initial);
  else if (draft && /[?&]error=/.test(location.search)) load(draft);
  if (!/[?&]error=/.test(location.search)) { try { sessionStorage.removeItem(DRAFT); } catch (e) { /* ignore */ } }
  renderButtons();
  update();
})();
