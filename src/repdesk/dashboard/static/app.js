// repdesk dashboard helpers: CSRF for fetch, confirmations, copy buttons, the phone menu.
(function () {
  "use strict";
  function csrfToken() {
    var m = document.cookie.match(/(?:^|; )repdesk_csrf=([^;]*)/);
    if (m) return decodeURIComponent(m[1]);
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  // fetch() wrapper for the /api routes: JSON in and out, CSRF header, error shape unwrapped.
  window.repdesk = {
    csrfToken: csrfToken,
    api: function (method, url, body) {
      var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrfToken() } };
      if (body instanceof FormData) { opts.body = body; }
      else if (body !== undefined) { opts.headers["Content-Type"] = "application/json"; opts.body = JSON.stringify(body); }
      return fetch(url, opts).then(function (r) {
        if (r.status === 204) return null;
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) { var e = new Error((data && data.message) || ("HTTP " + r.status)); e.code = data && data.code; e.status = r.status; throw e; }
          return data;
        });
      });
    },
    escape: function (s) {
      return String(s == null ? "" : s).replace(/[&<>"']/g, function (c) {
        return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
      });
    }
  };
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    var msg = form.getAttribute && form.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) ev.preventDefault();
  });
  document.addEventListener("click", function (ev) {
    var t = ev.target.closest ? ev.target.closest("[data-copy],[data-toggle-nav]") : null;
    if (!t) return;
    if (t.hasAttribute("data-toggle-nav")) {
      var nav = document.getElementById("sidebar");
      var open = nav.classList.toggle("open");
      t.setAttribute("aria-expanded", open ? "true" : "false");
      return;
    }
    var src = document.querySelector(t.getAttribute("data-copy"));
    if (!src) return;
    var text = src.value !== undefined ? src.value : src.textContent;
    (navigator.clipboard ? navigator.clipboard.writeText(text) : Promise.reject()).then(function () {
      var old = t.textContent; t.textContent = "Copied"; setTimeout(function () { t.textContent = old; }, 1500);
    }).catch(function () { if (src.select) src.select(); });
  });
})();
