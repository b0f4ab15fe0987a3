// The inbox: conversation list + conversation view, live through server-sent events.
// Customer text only ever goes into the DOM through textContent, never parsed as HTML.
(function () {
  "use strict";
  var root = document.getElementById("inbox");
  if (!root) return;
  var api = window.repdesk.api;
  var assistantId = root.getAttribute("data-assistant-id");
  var state = { selected: root.getAttribute("data-selected") || "", conv: null, templates: null, q: "" };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.toLocaleString([], { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  }
  function badgeFor(channel) {
    var b = el("span", "badge " + (channel === "whatsapp" ? "whatsapp" : "web"), channel === "whatsapp" ? "WhatsApp" : "Web");
    b.setAttribute("data-testid", "channel-badge");
    return b;
  }
  function customerName(c) { return c.customerName || c.customerPhone || (c.visitorId ? "Visitor " + c.visitorId.slice(0, 6) : "Customer"); }

  // -- list -------------------------------------------------------------------------------
  function loadList() {
    var url = "/api/assistants/" + encodeURIComponent(assistantId) + "/conversations?limit=100";
    if (state.q) url += "&search=" + encodeURIComponent(state.q);
    return api("GET", url).then(function (page) { renderList(page.data); });
  }
  function renderList(items) {
    var ul = $("conversation-list");
    ul.replaceChildren();
    $("conversation-empty").hidden = items.length > 0;
    items.forEach(function (c) {
      var li = el("li", "conv" + (c.id === state.selected ? " active" : "") + (c.status === "closed" ? " closed" : ""));
      li.setAttribute("data-testid", "conversation");
      li.setAttribute("data-id", c.id);
      var btn = el("button", "conv-button");
      btn.type = "button";
      var top = el("div", "conv-top");
      top.appendChild(badgeFor(c.channel));
      top.appendChild(el("strong", "conv-name", customerName(c)));
      if (c.unreadCount) { var u = el("span", "unread", c.unreadCount); u.setAttribute("aria-label", c.unreadCount + " unread"); top.appendChild(u); }
      btn.appendChild(top);
      if (c.customerPhone) btn.appendChild(el("div", "muted conv-phone", c.customerPhone));
      btn.appendChild(el("div", "conv-preview", c.lastMessagePreview));
      var meta = el("div", "conv-meta muted");
      if (c.channel === "whatsapp") meta.appendChild(el("span", "window " + (c.serviceWindowOpen ? "open" : "closed"), c.serviceWindowOpen ? "window open" : "window closed"));
      meta.appendChild(el("span", "ai " + (c.automationEnabled ? "on" : "off"), c.automationEnabled ? "AI on" : "AI off"));
      if (c.needsHuman) meta.appendChild(el("span", "needs-human", "needs a person"));
      if (c.status === "closed") meta.appendChild(el("span", "", "closed"));
      meta.appendChild(el("span", "", when(c.lastMessageAt)));
      btn.appendChild(meta);
      btn.addEventListener("click", function () { select(c.id); });
      li.appendChild(btn);
      ul.appendChild(li);
    });
  }

  // -- conversation -----------------------------------------------------------------------
  function select(id) {
    state.selected = id;
    var url = new URL(window.location.href);
    url.searchParams.set("c", id);
    window.history.replaceState(null, "", url.toString());
    Array.prototype.forEach.call(document.querySelectorAll("#conversation-list .conv"), function (li) {
      li.classList.toggle("active", li.getAttribute("data-id") === id);
    });
    return loadThread().then(function () {
      return api("POST", "/api/conversations/" + encodeURIComponent(id) + "/read").then(function () { return loadList(); });
    });
  }
  function loadThread() {
    if (!state.selected) return Promise.resolve();
    var id = encodeURIComponent(state.selected);
    return Promise.all([
      api("GET", "/api/conversations/" + id),
      api("GET", "/api/conversations/" + id + "/messages?limit=100")
    ]).then(function (res) {
      state.conv = res[0];
      renderHeader(res[0]);
      renderMessages(res[1].data.slice().reverse());
      if (res[0].unreadCount) {  // the person is looking at it: new messages are read
        api("POST", "/api/conversations/" + id + "/read").then(function () { schedule(true, false); });
      }
      return renderReplyBox(res[0]);
    }).catch(function (e) { if (e.status === 404) { state.selected = ""; $("thread").hidden = true; } });
  }
  function renderHeader(c) {
    $("thread").hidden = false;
    $("thread-name").textContent = customerName(c);
    var badge = $("thread-badge");
    badge.className = "badge " + (c.channel === "whatsapp" ? "whatsapp" : "web");
    badge.textContent = c.channel === "whatsapp" ? "WhatsApp" : "Web";
    $("thread-phone").textContent = c.customerPhone || "";
    var w = $("thread-window");
    if (c.channel === "whatsapp") {
      w.textContent = c.serviceWindowOpen ? "Service window open until " + when(c.windowExpiresAt) : "Service window closed: send a template to re-engage";
      w.className = "window-state " + (c.serviceWindowOpen ? "open" : "closed");
    } else { w.textContent = ""; }
    var h = $("thread-handoff");
    h.hidden = !c.needsHuman;
    h.textContent = c.needsHuman ? "Handed to a person" + (c.handoffReason ? ": " + c.handoffReason : "") : "";
    $("ai-switch").checked = !!c.automationEnabled;
    $("close-button").textContent = c.status === "closed" ? "Reopen" : "Close";
  }

  var TICKS = { queued: "🕓", sending: "🕓", sent: "✓", delivered: "✓✓", read: "✓✓", played: "✓✓" };
  function mediaUrl(m) { return m.content && m.content.fileId ? "/api/files/" + encodeURIComponent(m.content.fileId) : null; }
  function renderBody(m, li) {
    var body = el("div", "msg-body");
    var src = mediaUrl(m);
    var c = m.content || {};
    if (m.type === "image" || m.type === "sticker") {
      if (src) { var img = el("img", "msg-media"); img.src = src; img.alt = m.type === "sticker" ? "Sticker" : (c.caption || "Image"); img.loading = "lazy"; body.appendChild(img); }
      else body.appendChild(el("div", "muted", m.type === "sticker" ? "Sticker (downloading…)" : "Image (downloading…)"));
      if (c.caption) body.appendChild(el("p", "msg-text", c.caption));
    } else if (m.type === "audio" || m.type === "video") {
      if (src) { var av = el(m.type, "msg-media"); av.controls = true; av.preload = "none"; av.src = src; body.appendChild(av); }
      else body.appendChild(el("div", "muted", (c.voice ? "Voice message" : m.type === "video" ? "Video" : "Audio") + " (downloading…)"));
      if (c.caption) body.appendChild(el("p", "msg-text", c.caption));
      if (c.transcript) body.appendChild(el("p", "msg-text transcript", c.transcript));
    } else if (m.type === "document") {
      if (src) { var a = el("a", "msg-doc", "📄 " + (c.filename || "Document")); a.href = src; a.setAttribute("download", c.filename || "document"); body.appendChild(a); }
      else body.appendChild(el("div", "", "📄 " + (c.filename || "Document")));
      if (c.caption) body.appendChild(el("p", "msg-text", c.caption));
    } else if (m.type === "location" && typeof c.latitude === "number") {
      var link = el("a", "msg-location", "📍 " + m.text);
      link.href = "https://www.openstreetmap.org/?mlat=" + encodeURIComponent(c.latitude) + "&mlon=" + encodeURIComponent(c.longitude) + "#map=16/" + encodeURIComponent(c.latitude) + "/" + encodeURIComponent(c.longitude);
      link.target = "_blank"; link.rel = "noopener noreferrer";
      body.appendChild(link);
    } else if (m.type === "template") {
      body.appendChild(el("div", "muted", "Template: " + ((c.template && c.template.name) || "")));
      body.appendChild(el("p", "msg-text", m.text));
    } else {
      if (m.type === "interactive" || m.type === "button") body.appendChild(el("div", "muted small", m.direction === "in" ? "Tapped" : "Buttons"));
      if (m.type === "unsupported") body.appendChild(el("div", "muted small", "Unsupported message type" + (c.unsupportedType ? " (" + c.unsupportedType + ")" : "")));
      body.appendChild(el("p", "msg-text", m.text));
    }
    li.appendChild(body);
  }
  function renderMessages(list) {
    var ol = $("messages");
    ol.replaceChildren();
    var byExternal = {};
    var reactions = [];
    list.forEach(function (m) {
      if (m.type === "reaction") { reactions.push(m); return; }
      var li = el("li", "msg " + (m.direction === "in" ? "in" : "out") + " type-" + m.type);
      li.setAttribute("data-testid", "message");
      li.setAttribute("data-id", m.id);
      if (m.replyTo && byExternal[m.replyTo]) {
        var q = el("blockquote", "msg-quote", byExternal[m.replyTo].text.slice(0, 120));
        li.appendChild(q);
      }
      renderBody(m, li);
      var meta = el("div", "msg-meta muted");
      if (m.direction === "out") meta.appendChild(el("span", "sender", m.sender === "agent" ? "You" : m.sender === "ai" ? "AI" : m.sender));
      meta.appendChild(el("span", "", when(m.createdAt)));
      if (m.direction === "out") {
        var st = el("span", "status " + m.status, m.status === "failed" ? "Failed" + (m.errorTitle ? ": " + m.errorTitle : "") : (TICKS[m.status] || m.status));
        st.setAttribute("data-testid", "message-status");
        st.title = m.status;
        meta.appendChild(st);
      }
      li.appendChild(meta);
      if (m.externalId) byExternal[m.externalId] = { li: li, text: m.text };
      ol.appendChild(li);
    });
    reactions.forEach(function (r) {
      var target = r.content && byExternal[r.content.messageId];
      var emoji = (r.content && r.content.emoji) || "";
      if (target) {
        var old = target.li.querySelector(".reaction");
        if (old) old.remove();
        if (emoji) { var span = el("span", "reaction", emoji); span.title = "Customer reacted"; target.li.appendChild(span); }
      } else {
        var li = el("li", "msg in type-reaction"); li.setAttribute("data-testid", "message");
        li.appendChild(el("p", "msg-text muted", r.text)); ol.appendChild(li);
      }
    });
    ol.scrollTop = ol.scrollHeight;
  }

  // -- replying ---------------------------------------------------------------------------
  function renderReplyBox(c) {
    var needTemplate = c.channel === "whatsapp" && !c.serviceWindowOpen;
    $("reply-form").hidden = needTemplate;
    $("template-form").hidden = !needTemplate;
    if (!needTemplate) return Promise.resolve();
    var p = state.templates ? Promise.resolve(state.templates) :
      api("GET", "/api/assistants/" + encodeURIComponent(assistantId) + "/whatsapp/templates").then(function (r) {
        state.templates = r.data.filter(function (t) { return t.status === "APPROVED"; });
        return state.templates;
      }).catch(function () { state.templates = []; return []; });
    return p.then(function (templates) {
      var sel = $("template-select");
      var current = sel.value;
      sel.replaceChildren();
      templates.forEach(function (t, i) {
        var o = el("option", "", t.name + " (" + t.language + ")"); o.value = String(i); sel.appendChild(o);
      });
      if (current && current < templates.length) sel.value = current;
      if (!templates.length) sel.appendChild(el("option", "", "No approved templates"));
      renderTemplateParams();
    });
  }
  function templateBody(t) {
    var b = (t.components || []).filter(function (c) { return String(c.type).toUpperCase() === "BODY"; })[0];
    return b ? String(b.text || "") : "";
  }
  function renderTemplateParams() {
    var t = (state.templates || [])[Number($("template-select").value)];
    var box = $("template-params");
    box.replaceChildren();
    $("template-preview").textContent = t ? templateBody(t) : "";
    if (!t) return;
    var count = 0, re = /\{\{\s*(\d+)\s*\}\}/g, m;
    var text = templateBody(t);
    while ((m = re.exec(text))) count = Math.max(count, Number(m[1]));
    for (var i = 1; i <= count; i++) {
      var label = el("label", "", "Value for {{" + i + "}}");
      var input = el("input"); input.type = "text"; input.required = true; input.setAttribute("data-param", String(i));
      label.appendChild(input); box.appendChild(label);
    }
  }
  function showError(e) { var p = $("reply-error"); p.hidden = !e; p.textContent = e ? e.message : ""; }
  function send(body) {
    showError(null);
    return api("POST", "/api/conversations/" + encodeURIComponent(state.selected) + "/messages", body)
      .then(function () { return loadThread(); })
      .catch(showError);
  }

  $("reply-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var ta = $("reply-text");
    var text = ta.value;
    if (!text.trim()) return;
    send({ text: text }).then(function () { ta.value = ""; });
  });
  // "Send later": the reply box's text, scheduled for this conversation's contact.
  $("send-later-button").addEventListener("click", function () {
    var text = $("reply-text").value;
    var at = $("send-later-at").value;
    showError(null);
    if (!text.trim()) { showError({ message: "Write the message to send later." }); return; }
    if (!at || isNaN(new Date(at).getTime())) { showError({ message: "Choose the date and time to send it." }); return; }
    var zone = (Intl.DateTimeFormat().resolvedOptions().timeZone) || undefined;
    api("POST", "/api/assistants/" + encodeURIComponent(assistantId) + "/scheduled-messages", {
      to: { contactId: state.conv.contactId },
      content: { type: "text", text: { body: text } },
      sendAt: new Date(at).toISOString(),
      timeZone: zone
    }).then(function (s) {
      $("reply-text").value = "";
      $("send-later-note").textContent = "Scheduled for " + when(s.sendAt) + ".";
    }).catch(showError);
  });
  $("reply-text").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $("reply-form").requestSubmit(); }
  });
  $("template-select").addEventListener("change", renderTemplateParams);
  $("template-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var t = (state.templates || [])[Number($("template-select").value)];
    if (!t) return;
    var params = Array.prototype.map.call(document.querySelectorAll("#template-params input"), function (i) { return { type: "text", text: i.value }; });
    var tpl = { name: t.name, language: t.language, components: params.length ? [{ type: "body", parameters: params }] : [] };
    send({ template: tpl });
  });
  $("ai-switch").addEventListener("change", function (ev) {
    api("PATCH", "/api/conversations/" + encodeURIComponent(state.selected), { automationEnabled: ev.target.checked })
      .then(function (c) { state.conv = c; renderHeader(c); loadList(); }).catch(showError);
  });
  $("close-button").addEventListener("click", function () {
    var next = state.conv && state.conv.status === "closed" ? "open" : "closed";
    api("PATCH", "/api/conversations/" + encodeURIComponent(state.selected), { status: next })
      .then(function (c) { state.conv = c; renderHeader(c); loadList(); }).catch(showError);
  });
  var searchTimer = null;
  $("inbox-q").addEventListener("input", function (ev) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { state.q = ev.target.value.trim(); loadList(); }, 200);
  });
  $("inbox-search").addEventListener("submit", function (ev) { ev.preventDefault(); state.q = $("inbox-q").value.trim(); loadList(); });

  // -- live updates -----------------------------------------------------------------------
  var pending = { list: false, thread: false }, timer = null;
  function schedule(list, thread) {
    pending.list = pending.list || list;
    pending.thread = pending.thread || thread;
    if (timer) return;
    timer = setTimeout(function () {
      var p = pending; pending = { list: false, thread: false }; timer = null;
      if (p.thread) loadThread();
      if (p.list) loadList();
    }, 80);
  }
  var EVENTS = ["message.received", "message.queued", "message.sent", "message.delivered", "message.read",
                "message.failed", "message.updated", "conversation.opened", "conversation.updated",
                "conversation.closed", "conversation.handed_off"];
  function connect() {
    var es = new EventSource("/api/assistants/" + encodeURIComponent(assistantId) + "/inbox/stream");
    es.addEventListener("ready", function () { $("inbox-live").textContent = "Live"; $("inbox-live").className = "muted inbox-live on"; schedule(true, !!state.selected); });
    EVENTS.forEach(function (name) {
      es.addEventListener(name, function (ev) {
        var env; try { env = JSON.parse(ev.data); } catch (e) { return; }
        var d = env.data || {};
        var convId = d.conversationId || (name.indexOf("conversation.") === 0 ? d.id : null);
        schedule(true, !!state.selected && convId === state.selected);
      });
    });
    es.onerror = function () { $("inbox-live").textContent = "Reconnecting…"; $("inbox-live").className = "muted inbox-live"; };
  }

  state.q = $("inbox-q").value.trim();
  loadList().then(function () { if (state.selected) return select(state.selected); });
  connect();
})();
