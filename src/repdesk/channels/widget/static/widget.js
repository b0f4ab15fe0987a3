/*! repdesk web chat widget. Vanilla JS, no dependencies, Shadow DOM.
 * Embed: <script src="https://YOUR-REPDESK/widget.js" data-repdesk-widget="PUBLIC_ID" async></script>
 * Message text is only ever inserted with textContent / DOM nodes: no innerHTML of message text.
 */
(function () {
  "use strict";
  if (window.__repdeskWidgetLoaded) return;
  window.__repdeskWidgetLoaded = true;

  var script = document.currentScript || document.querySelector("script[data-repdesk-widget]");
  if (!script) return;
  var PUBLIC_ID = script.getAttribute("data-repdesk-widget") || "";
  var PREVIEW = script.getAttribute("data-preview");
  var FORCE_TRANSPORT = script.getAttribute("data-transport");
  // A page with a Content-Security-Policy gives this script a nonce; the widget's <style> needs it too.
  var NONCE = script.nonce || script.getAttribute("nonce") || "";
  var BASE;
  try { BASE = new URL(script.src, location.href).origin; } catch (e) { return; }
  var API = BASE + "/widget/v1/" + encodeURIComponent(PUBLIC_ID);
  var STORE_KEY = "repdesk-widget:" + PUBLIC_ID;
  var FONTS = {
    system: '-apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
    Arial: "Arial, Helvetica, sans-serif", Helvetica: "Helvetica, Arial, sans-serif",
    Verdana: "Verdana, Geneva, sans-serif", "Trebuchet MS": '"Trebuchet MS", Helvetica, sans-serif',
    Georgia: "Georgia, serif", "Times New Roman": '"Times New Roman", Times, serif',
    "Courier New": '"Courier New", Courier, monospace'
  };

  function warn(msg) { try { console.warn("[repdesk widget] " + msg); } catch (e) { /* no console */ } }
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) for (var k in attrs) {
      if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] == null || attrs[k] === false) continue;
      if (k === "text") el.textContent = attrs[k];
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), attrs[k]);
      else el.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    }
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }
  function store(obj) { try { localStorage.setItem(STORE_KEY, JSON.stringify(obj)); } catch (e) { /* private mode */ } }
  function load() { try { return JSON.parse(localStorage.getItem(STORE_KEY) || "{}") || {}; } catch (e) { return {}; } }
  function uid() {
    var a = new Uint8Array(12); (window.crypto || window.msCrypto).getRandomValues(a);
    return "c" + Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function contrast(hex) {
    var n = parseInt(hex.slice(1), 16), r = n >> 16 & 255, g = n >> 8 & 255, b = n & 255;
    return (0.299 * r + 0.587 * g + 0.114 * b) > 160 ? "#111827" : "#ffffff";
  }

  // -- safe markdown: **bold**, *italic*, `code`, [text](https://...), bare links; DOM only --
  var INLINE = /(\*\*[^*\n]+\*\*|`[^`\n]+`|\*[^*\n]+\*|\[[^\]\n]{1,200}\]\(https?:\/\/[^\s)]+\)|https?:\/\/[^\s<>"]+)/g;
  function link(href, label) {
    var ok = /^https?:\/\//i.test(href);
    return ok ? h("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow", text: label }) : document.createTextNode(label);
  }
  function inline(parent, line) {
    var last = 0, m;
    INLINE.lastIndex = 0;
    while ((m = INLINE.exec(line))) {
      if (m.index > last) parent.appendChild(document.createTextNode(line.slice(last, m.index)));
      var t = m[0];
      if (t.slice(0, 2) === "**") parent.appendChild(h("strong", { text: t.slice(2, -2) }));
      else if (t[0] === "`") parent.appendChild(h("code", { text: t.slice(1, -1) }));
      else if (t[0] === "*") parent.appendChild(h("em", { text: t.slice(1, -1) }));
      else if (t[0] === "[") { var i = t.indexOf("]("); parent.appendChild(link(t.slice(i + 2, -1), t.slice(1, i))); }
      else { var trail = (t.match(/[.,!?;:]+$/) || [""])[0]; var u = trail ? t.slice(0, -trail.length) : t;
        parent.appendChild(link(u, u)); if (trail) parent.appendChild(document.createTextNode(trail)); }
      last = m.index + t.length;
    }
    if (last < line.length) parent.appendChild(document.createTextNode(line.slice(last)));
  }
  function renderText(text) {
    var box = h("div", { "class": "txt" });
    var list = null;
    String(text || "").split("\n").forEach(function (line, i, all) {
      var item = /^\s*(?:[-*•]|\d+[.)])\s+(.*)$/.exec(line);
      if (item) { if (!list) { list = h("ul"); box.appendChild(list); } var li = h("li"); inline(li, item[1]); list.appendChild(li); return; }
      list = null;
      inline(box, line);
      if (i < all.length - 1) box.appendChild(h("br"));
    });
    return box;
  }

  var CSS = [
    ":host{all:initial;}",
    "*{box-sizing:border-box;}",
    ".root{--c:#2563eb;--cfg:#fff;--bg:#fff;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--in:#f3f4f6;font-family:var(--font);font-size:15px;line-height:1.4;color:var(--fg);}",
    ".root.dark{--bg:#111827;--fg:#f9fafb;--muted:#9ca3af;--line:#374151;--in:#1f2937;}",
    "@media (prefers-color-scheme: dark){.root.auto{--bg:#111827;--fg:#f9fafb;--muted:#9ca3af;--line:#374151;--in:#1f2937;}}",
    ".launcher{position:fixed;bottom:20px;right:20px;width:60px;height:60px;border-radius:50%;border:0;background:var(--c);color:var(--cfg);cursor:pointer;box-shadow:0 6px 20px rgba(0,0,0,.25);z-index:2147483000;display:flex;align-items:center;justify-content:center;padding:0;margin:0;}",
    ".left .launcher{right:auto;left:20px;}",
    ".launcher svg{width:28px;height:28px;fill:currentColor;}",
    ".launcher:focus-visible,button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid var(--c);outline-offset:2px;}",
    ".badge{position:absolute;top:-4px;right:-4px;min-width:20px;height:20px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;line-height:20px;text-align:center;padding:0 5px;}",
    ".panel{position:fixed;bottom:92px;right:20px;width:370px;height:560px;max-height:calc(100vh - 110px);background:var(--bg);color:var(--fg);border:1px solid var(--line);border-radius:16px;box-shadow:0 12px 40px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483001;}",
    ".left .panel{right:auto;left:20px;}",
    ".panel[hidden]{display:none;}",
    "@media (max-width:480px){.panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;bottom:0;right:0;left:0;}}",
    ".head{display:flex;align-items:center;gap:10px;padding:12px 14px;background:var(--c);color:var(--cfg);}",
    ".avatar{width:36px;height:36px;border-radius:50%;object-fit:cover;background:rgba(255,255,255,.3);}",
    ".title{flex:1;font-weight:600;font-size:16px;margin:0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;}",
    ".icon{background:none;border:0;color:inherit;cursor:pointer;font:inherit;font-size:20px;line-height:1;padding:6px 8px;border-radius:8px;}",
    ".log{flex:1;overflow-y:auto;padding:14px;display:flex;flex-direction:column;gap:8px;}",
    ".msg{max-width:82%;padding:8px 12px;border-radius:14px;word-wrap:break-word;overflow-wrap:anywhere;white-space:normal;}",
    ".msg.out{align-self:flex-start;background:var(--in);color:var(--fg);border-bottom-left-radius:4px;}",
    ".msg.in{align-self:flex-end;background:var(--c);color:var(--cfg);border-bottom-right-radius:4px;}",
    ".msg.welcome{align-self:flex-start;background:var(--in);}",
    ".msg.failed{opacity:.7;border:1px dashed #dc2626;}",
    ".msg a{color:inherit;text-decoration:underline;}",
    ".msg code{font-family:ui-monospace,monospace;font-size:13px;background:rgba(127,127,127,.2);padding:0 3px;border-radius:4px;}",
    ".msg ul{margin:4px 0;padding-left:18px;}",
    ".msg img{display:block;max-width:100%;max-height:220px;border-radius:8px;margin-bottom:4px;}",
    ".msg audio{display:block;max-width:100%;height:36px;}",
    ".who{display:block;font-size:11px;opacity:.75;margin-bottom:2px;}",
    ".meta{display:block;font-size:11px;opacity:.75;margin-top:2px;}",
    ".file{background:none;border:1px solid currentColor;color:inherit;border-radius:8px;padding:4px 8px;cursor:pointer;font:inherit;font-size:13px;}",
    ".typing{padding:0 14px 6px;color:var(--muted);font-size:13px;min-height:20px;}",
    ".dot{display:inline-block;width:6px;height:6px;margin:0 1px;border-radius:50%;background:var(--muted);animation:b 1s infinite;}",
    ".dot:nth-child(2){animation-delay:.15s}.dot:nth-child(3){animation-delay:.3s}",
    "@keyframes b{0%,80%,100%{opacity:.3}40%{opacity:1}}",
    "@media (prefers-reduced-motion: reduce){.dot{animation:none}}",
    ".notice{margin:0 14px 8px;padding:8px 10px;border-radius:8px;background:#fef2f2;color:#991b1b;font-size:13px;}",
    ".notice[hidden]{display:none;}",
    ".status{font-size:12px;color:var(--muted);padding:0 14px 4px;}",
    ".foot{display:flex;align-items:flex-end;gap:6px;padding:10px;border-top:1px solid var(--line);}",
    ".foot .icon{color:var(--muted);}",
    ".foot .icon[aria-pressed=true]{color:#dc2626;}",
    "textarea{flex:1;resize:none;border:1px solid var(--line);border-radius:10px;padding:8px 10px;font:inherit;color:var(--fg);background:var(--bg);max-height:120px;min-height:40px;}",
    ".send{background:var(--c);color:var(--cfg);border:0;border-radius:10px;padding:9px 14px;cursor:pointer;font:inherit;font-weight:600;}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;}",
    ".preview .launcher,.preview .panel{position:absolute;}",
    ".preview .panel{max-height:calc(100% - 100px);}"
  ].join("\n");
  var CHAT_ICON = "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z";

  function Widget(cfg, mount, preview) {
    var self = this;
    this.cfg = cfg; this.preview = preview;
    this.messages = {}; this.pending = {}; this.unread = 0; this.open = false;
    this.state = load(); this.token = this.state.token || null;
    this.ws = null; this.es = null; this.retry = 0; this.wsFailures = 0; this.stopped = false;
    this.mode = FORCE_TRANSPORT === "sse" || !("WebSocket" in window) ? "sse" : "ws";

    this.host = h("repdesk-widget", { id: "repdesk-widget" });
    // CSSOM, not a style attribute: a strict style-src allows it.
    this.host.style.cssText = "all:initial !important;display:block !important;position:static !important;";
    var shadow = this.host.attachShadow({ mode: "open" });
    shadow.appendChild(h("style", { text: CSS, nonce: NONCE || null }));
    this.root = h("div", { "class": "root", part: "root" });
    shadow.appendChild(this.root);

    this.badge = h("span", { "class": "badge", hidden: true, "aria-hidden": "true" });
    this.launcher = h("button", { "class": "launcher", type: "button", "aria-expanded": "false", "aria-controls": "rd-panel",
      onclick: function () { self.toggle(); } });
    var svgNS = "http://www.w3.org/2000/svg", svg = document.createElementNS(svgNS, "svg"), path = document.createElementNS(svgNS, "path");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true"); path.setAttribute("d", CHAT_ICON);
    svg.appendChild(path); this.launcher.appendChild(svg); this.launcher.appendChild(this.badge);

    this.avatar = h("img", { "class": "avatar", alt: "", hidden: true });
    this.titleEl = h("h2", { "class": "title", id: "rd-title" });
    this.closeBtn = h("button", { "class": "icon", type: "button", "aria-label": "Close chat", text: "\u00d7",
      onclick: function () { self.toggle(false); } });
    this.log = h("div", { "class": "log", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
    this.typing = h("div", { "class": "typing", "aria-live": "polite" });
    this.notice = h("div", { "class": "notice", role: "alert", hidden: true });
    this.status = h("div", { "class": "status", "aria-live": "polite" });
    this.input = h("textarea", { rows: "1", "aria-label": "Message", placeholder: "Write a message\u2026" });
    this.input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); self.sendText(); }
    });
    this.fileInput = h("input", { type: "file", hidden: true, tabindex: "-1", "aria-hidden": "true" });
    this.fileInput.addEventListener("change", function () { var f = self.fileInput.files[0]; self.fileInput.value = ""; if (f) self.sendFile(f); });
    this.attachBtn = h("button", { "class": "icon", type: "button", "aria-label": "Attach a file", text: "\ud83d\udcce",
      onclick: function () { self.fileInput.click(); } });
    this.micBtn = h("button", { "class": "icon", type: "button", "aria-label": "Record a voice message", "aria-pressed": "false", text: "\ud83c\udfa4",
      onclick: function () { self.toggleRecording(); } });
    this.sendBtn = h("button", { "class": "send", type: "button", text: "Send", onclick: function () { self.sendText(); } });
    this.panel = h("div", { "class": "panel", id: "rd-panel", role: "dialog", "aria-labelledby": "rd-title", hidden: true }, [
      h("div", { "class": "head" }, [this.avatar, this.titleEl, this.closeBtn]),
      this.log, this.typing, this.status, this.notice,
      h("div", { "class": "foot" }, [this.fileInput, this.attachBtn, this.micBtn, this.input, this.sendBtn])
    ]);
    this.panel.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape") { ev.stopPropagation(); self.toggle(false); return; }
      if (ev.key !== "Tab") return;
      // Keep keyboard focus inside the open chat (it covers the page on phones).
      var items = Array.prototype.filter.call(self.panel.querySelectorAll("button,textarea,a[href],[tabindex='0']"),
        function (e) { return !e.hidden && !e.disabled && e.getClientRects().length; });
      if (!items.length) return;
      var active = shadow.activeElement, first = items[0], last = items[items.length - 1];
      if (ev.shiftKey && active === first) { ev.preventDefault(); last.focus(); }
      else if (!ev.shiftKey && active === last) { ev.preventDefault(); first.focus(); }
    });
    this.root.appendChild(this.panel); this.root.appendChild(this.launcher);
    this.welcome = h("div", { "class": "msg out welcome" });
    this.log.appendChild(this.welcome);
    this.apply(cfg);
    (mount || document.body).appendChild(this.host);
    if (preview) { this.root.classList.add("preview"); this.toggle(true, true); this.demo(); }
    else if (this.token) this.connect();
  }

  Widget.prototype.apply = function (cfg) {
    this.cfg = cfg;
    var r = this.root;
    r.className = "root " + (cfg.theme || "auto") + (cfg.position === "bottom-left" ? " left" : "") + (this.preview ? " preview" : "");
    r.setAttribute("data-theme", cfg.theme || "auto"); r.setAttribute("data-position", cfg.position || "bottom-right");
    r.style.setProperty("--c", cfg.color || "#2563eb");
    r.style.setProperty("--cfg", contrast(cfg.color || "#2563eb"));
    r.style.setProperty("--font", FONTS[cfg.font] || FONTS.system);
    this.titleEl.textContent = cfg.businessName || "Chat";
    this.welcome.textContent = "";
    this.welcome.appendChild(renderText(cfg.welcomeMessage || "Hi! How can we help?"));
    this.welcome.hidden = !cfg.welcomeMessage;
    this.attachBtn.hidden = !cfg.filesEnabled;
    this.fileInput.setAttribute("accept", (cfg.acceptedFileTypes || []).join(","));
    var canRecord = !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder);
    this.micBtn.hidden = !(cfg.voiceEnabled && canRecord);
    this.launcherLabel();
    if (cfg.avatarUrl) { this.avatar.src = cfg.avatarUrl; this.avatar.hidden = false; }
    else if (cfg.hasAvatar && !this.preview) this.loadAvatar();
    else this.avatar.hidden = true;
  };

  Widget.prototype.launcherLabel = function () {
    var name = this.cfg.businessName || "us";
    var label = (this.open ? "Close chat with " : "Open chat with ") + name + (this.unread ? " (" + this.unread + " unread)" : "");
    this.launcher.setAttribute("aria-label", label);
    this.badge.textContent = String(this.unread); this.badge.hidden = !this.unread;
  };

  Widget.prototype.toggle = function (force, quiet) {
    var open = force === undefined ? !this.open : force;
    this.open = open;
    this.panel.hidden = !open;
    this.launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      this.unread = 0;
      if (!quiet) this.input.focus();
      if (!this.preview && !this.started) this.start();
      this.scroll();
    } else if (!quiet) this.launcher.focus();
    this.launcherLabel();
  };

  Widget.prototype.demo = function () {
    this.render({ id: "d1", direction: "in", sender: "customer", type: "text", text: "Hello! Do you deliver on weekends?" });
    this.render({ id: "d2", direction: "out", sender: "ai", type: "text", text: "Yes, we deliver on **Saturdays** from 9am to 5pm." });
  };

  // -- network --------------------------------------------------------------------------------
  Widget.prototype.req = function (method, path, body, isForm) {
    var headers = {};
    if (this.token) headers["X-Widget-Token"] = this.token;
    var opts = { method: method, headers: headers, mode: "cors", credentials: "omit" };
    if (body !== undefined) {
      if (isForm) opts.body = body; else { headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
    }
    return fetch(API + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.message || "The chat service answered " + r.status + "."); e.code = data.code; e.status = r.status; throw e; }
        return data;
      });
    });
  };

  Widget.prototype.start = function () {
    var self = this;
    this.started = true;
    if (this.token) { if (!this.ws && !this.es) this.connect(); return Promise.resolve(); }
    return this.req("POST", "/session", {}).then(function (s) {
      self.token = s.token; self.state.token = s.token; store(self.state);
      self.connect();
    }).catch(function (e) { self.started = false; self.showError(e.message); });
  };

  Widget.prototype.connect = function () {
    var self = this;
    if (this.stopped || !this.token || this.ws || this.es) return; // one connection at a time
    clearTimeout(this.timer);
    if (this.mode === "ws") {
      var opened = false, ws;
      try { ws = new WebSocket(API.replace(/^http/, "ws") + "/ws?token=" + encodeURIComponent(this.token)); }
      catch (e) { this.mode = "sse"; return this.connect(); }
      this.ws = ws;
      ws.onopen = function () { self.setOnline(true); };
      ws.onmessage = function (ev) {
        if (!opened) { opened = true; self.wsFailures = 0; self.retry = 0; } // a real hello from us
        self.onFrame(ev.data);
      };
      ws.onclose = function (ev) {
        self.ws = null; self.setOnline(false);
        if (ev.code === 4401) { self.resetVisitor(); return; }
        if (ev.code >= 4400 && ev.code < 4500 && ev.code !== 4429) { self.stopped = true; return; }
        // Never got a frame from us (blocked, or a proxy that upgrades then drops): after two
        // such attempts, fall back to Server-Sent Events + POST.
        if (!opened && ++self.wsFailures >= 2) self.mode = "sse";
        self.reconnectLater();
      };
    } else {
      var es = new EventSource(API + "/events?token=" + encodeURIComponent(this.token));
      this.es = es;
      es.onopen = function () { self.retry = 0; self.setOnline(true); };
      es.onmessage = function (ev) { self.onFrame(ev.data); };
      es.onerror = function () {
        self.setOnline(false);
        if (es.readyState === 2) { self.es = null; self.reconnectLater(); } // closed for good: retry ourselves
      };
    }
  };

  Widget.prototype.reconnectLater = function () {
    var self = this;
    var delay = Math.min(30000, 1000 * Math.pow(2, this.retry++)) * (0.5 + Math.random() / 2);
    clearTimeout(this.timer);
    this.timer = setTimeout(function () { self.connect(); }, delay);
  };

  Widget.prototype.resetVisitor = function () {
    this.token = null; this.state = {}; store({}); this.started = false;
    if (this.open) this.start();
  };

  Widget.prototype.setOnline = function (on) {
    this.online = on;
    this.status.textContent = on || !this.started ? "" : "Reconnecting\u2026";
  };

  Widget.prototype.onFrame = function (raw) {
    var f; try { f = JSON.parse(raw); } catch (e) { return; }
    if (f.type === "hello") {
      this.inHistory = true; (f.history || []).forEach(this.render, this); this.inHistory = false; this.scroll();
    }
    else if (f.type === "message" || f.type === "ack") { this.render(f.message); this.scroll(); }
    else if (f.type === "typing") this.setTyping(!!f.on);
    else if (f.type === "error") {
      if (f.clientId && this.pending[f.clientId]) this.markFailed(f.clientId);
      this.showError(f.message || "Something went wrong.");
      if (f.code === "WIDGET_ORIGIN_NOT_ALLOWED" || f.code === "WIDGET_NOT_FOUND") warn(f.message);
    }
  };

  Widget.prototype.setTyping = function (on) {
    var self = this;
    clearTimeout(this.typingTimer);
    this.typing.textContent = "";
    if (on) {
      this.typing.appendChild(h("span", { "class": "sr", text: (this.cfg.businessName || "The assistant") + " is typing" }));
      for (var i = 0; i < 3; i++) this.typing.appendChild(h("span", { "class": "dot", "aria-hidden": "true" }));
      this.typing.setAttribute("data-typing", "on");
      this.typingTimer = setTimeout(function () { self.setTyping(false); }, 45000);
    } else this.typing.removeAttribute("data-typing");
  };

  Widget.prototype.showError = function (msg) {
    var self = this;
    this.notice.textContent = msg; this.notice.hidden = !msg;
    clearTimeout(this.noticeTimer);
    if (msg) this.noticeTimer = setTimeout(function () { self.notice.hidden = true; }, 8000);
  };

  // -- rendering --------------------------------------------------------------------------------
  Widget.prototype.render = function (m) {
    if (!m) return;
    var el = (m.id && this.messages[m.id]) || (m.clientId && this.pending[m.clientId]);
    var isNew = !el;
    if (!el) { el = h("div"); this.log.appendChild(el); }
    if (m.clientId) { delete this.pending[m.clientId]; }
    if (m.id) this.messages[m.id] = el;
    if (m.clientId && !m.id) this.pending[m.clientId] = el;
    el.className = "msg " + (m.direction === "in" ? "in" : "out");
    el.setAttribute("data-id", m.id || ""); el.setAttribute("data-sender", m.sender || "");
    if (m.clientId) el.setAttribute("data-client-id", m.clientId);
    el.textContent = "";
    if (m.direction !== "in") el.appendChild(h("span", { "class": "who", text: m.sender === "agent" ? (this.cfg.businessName || "Team") + " (team)" : (this.cfg.businessName || "Assistant") }));
    else el.appendChild(h("span", { "class": "sr", text: "You said:" }));
    if (m.localUrl && m.type === "audio") el.appendChild(h("audio", { controls: true, src: m.localUrl }));
    else if (m.attachment) el.appendChild(this.attachment(m));
    if (m.type === "audio") {
      if (m.transcript) el.appendChild(h("span", { "class": "meta", text: "\u201c" + m.transcript + "\u201d" }));
      else el.appendChild(h("span", { "class": "meta", text: m.transcript === "" ? "Voice message" : "Voice message \u00b7 transcribing\u2026" }));
    } else if (m.text && !(m.attachment && m.text === m.attachment.filename)) el.appendChild(renderText(m.text));
    if (m.failed) el.classList.add("failed");
    if (isNew && m.direction !== "in" && m.id && !this.preview && !this.inHistory) {
      this.setTyping(false);
      if (!this.open) { this.unread++; this.launcherLabel(); }
    }
  };

  Widget.prototype.attachment = function (m) {
    var self = this, a = m.attachment, mime = a.mimeType || "";
    if (mime.indexOf("image/") === 0) {
      var img = h("img", { alt: a.filename || "Image" });
      this.blob(a.fileId).then(function (u) { img.src = u; }).catch(function () { img.alt = "Image unavailable"; });
      return img;
    }
    if (mime.indexOf("audio/") === 0) {
      var au = h("audio", { controls: true });
      this.blob(a.fileId).then(function (u) { au.src = u; }).catch(function () { /* shown without sound */ });
      return au;
    }
    return h("button", { "class": "file", type: "button", text: "\ud83d\udcc4 " + (a.filename || "Document"),
      onclick: function () {
        self.blob(a.fileId).then(function (u) {
          var dl = h("a", { href: u, download: a.filename || "document" }); self.root.appendChild(dl); dl.click(); dl.remove();
        }).catch(function (e) { self.showError(e.message); });
      } });
  };

  Widget.prototype.blob = function (fileId) {
    return fetch(API + "/files/" + encodeURIComponent(fileId), { headers: { "X-Widget-Token": this.token || "" }, mode: "cors", credentials: "omit" })
      .then(function (r) { if (!r.ok) throw new Error("The file could not be loaded."); return r.blob(); })
      .then(function (b) { return URL.createObjectURL(b); });
  };

  Widget.prototype.loadAvatar = function () {
    var self = this;
    fetch(API + "/avatar", { mode: "cors", credentials: "omit" }).then(function (r) { if (!r.ok) throw 0; return r.blob(); })
      .then(function (b) { self.avatar.src = URL.createObjectURL(b); self.avatar.hidden = false; }).catch(function () { self.avatar.hidden = true; });
  };

  Widget.prototype.scroll = function () { this.log.scrollTop = this.log.scrollHeight; };

  Widget.prototype.markFailed = function (clientId) {
    var el = this.pending[clientId]; if (!el) return;
    el.classList.add("failed");
    el.setAttribute("title", "Not sent");
  };

  // -- sending ----------------------------------------------------------------------------------
  Widget.prototype.sendText = function () {
    var self = this, text = this.input.value.trim();
    if (!text) return;
    var max = this.cfg.maxMessageChars || 2000;
    if (text.length > max) { this.showError("Messages can be at most " + max + " characters."); return; }
    if (this.preview) { this.input.value = ""; return; }
    this.input.value = "";
    var clientId = uid();
    this.render({ clientId: clientId, direction: "in", sender: "customer", type: "text", text: text });
    this.scroll();
    this.start().then(function () {
      if (self.ws && self.ws.readyState === 1) {
        self.ws.send(JSON.stringify({ type: "message", clientId: clientId, text: text }));
      } else {
        self.req("POST", "/messages", { text: text, clientId: clientId })
          .then(function (m) { self.render(m); })
          .catch(function (e) { self.markFailed(clientId); self.showError(e.message); });
      }
    });
  };

  Widget.prototype.upload = function (path, file, name, local) {
    var self = this, clientId = uid();
    local.clientId = clientId;
    this.render(local); this.scroll();
    return this.start().then(function () {
      var fd = new FormData(); fd.append("file", file, name); fd.append("clientId", clientId);
      return self.req("POST", path, fd, true);
    }).then(function (m) { if (local.localUrl) m.localUrl = local.localUrl; self.render(m); self.scroll(); })
      .catch(function (e) { self.markFailed(clientId); self.showError(e.message); });
  };

  Widget.prototype.sendFile = function (file) {
    if (!this.cfg.filesEnabled) return;
    if (file.size > (this.cfg.maxUploadBytes || 10485760)) {
      this.showError("This file is too large (at most " + Math.round((this.cfg.maxUploadBytes || 10485760) / 1048576) + " MB)."); return;
    }
    this.upload("/files", file, file.name, { direction: "in", sender: "customer", type: "document", text: "\ud83d\udcc4 " + file.name + " (sending\u2026)" });
  };

  Widget.prototype.toggleRecording = function () {
    var self = this;
    if (this.recorder) { this.recorder.stop(); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"].filter(function (t) {
        return MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(t);
      })[0];
      var rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined), chunks = [];
      self.recorder = rec;
      rec.ondataavailable = function (ev) { if (ev.data && ev.data.size) chunks.push(ev.data); };
      rec.onstop = function () {
        stream.getTracks().forEach(function (t) { t.stop(); });
        clearTimeout(self.recTimer); self.recorder = null;
        self.micBtn.setAttribute("aria-pressed", "false"); self.micBtn.setAttribute("aria-label", "Record a voice message");
        self.status.textContent = "";
        var blob = new Blob(chunks, { type: rec.mimeType || type || "audio/webm" });
        if (!blob.size) { self.showError("Nothing was recorded."); return; }
        if (blob.size > (self.cfg.maxVoiceBytes || 5242880)) { self.showError("The recording is too long."); return; }
        var ext = /ogg/.test(blob.type) ? "ogg" : /mp4/.test(blob.type) ? "m4a" : "webm";
        self.upload("/voice", blob, "voice." + ext, { direction: "in", sender: "customer", type: "audio", localUrl: URL.createObjectURL(blob) });
      };
      rec.start(250);
      self.micBtn.setAttribute("aria-pressed", "true"); self.micBtn.setAttribute("aria-label", "Stop recording and send");
      self.status.textContent = "Recording\u2026 press the microphone again to send.";
      self.recTimer = setTimeout(function () { if (self.recorder) self.recorder.stop(); }, 60000);
    }).catch(function () { self.showError("The microphone is not available."); });
  };

  // -- boot ---------------------------------------------------------------------------------------
  function boot() {
    if (PREVIEW) {
      var mount = document.querySelector(PREVIEW), cfgEl = document.getElementById("widget-preview-config");
      if (!mount || !cfgEl) return;
      var w = new Widget(JSON.parse(cfgEl.textContent), mount, true);
      window.addEventListener("repdesk-widget-preview", function (ev) { w.apply(ev.detail); });
      return;
    }
    if (!PUBLIC_ID) { warn("missing data-repdesk-widget attribute on the script tag."); return; }
    fetch(API + "/config", { mode: "cors", credentials: "omit" }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) {
          warn((data.message || "the widget could not load (HTTP " + r.status + ").") + (data.code ? " [" + data.code + "]" : ""));
          return;
        }
        window.repdeskWidget = new Widget(data, null, false);
      });
    }).catch(function () { warn("the chat service at " + BASE + " could not be reached (blocked or offline)."); });
  }
  try {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { try { boot(); } catch (e) { warn(String(e)); } });
    else boot();
  } catch (e) { warn(String(e)); }
})();
