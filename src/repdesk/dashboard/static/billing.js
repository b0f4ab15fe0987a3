// The Billing page: buy credits (Paystack's checkout), and the balance and history updated
// live when a payment is credited (server-sent events from /api/billing/stream).
(function () {
  "use strict";
  var printButton = document.querySelector("[data-print]");
  if (printButton) printButton.addEventListener("click", function () { window.print(); });

  var form = document.getElementById("top-up-form");
  if (form) {
    var currency = form.querySelector("select[name=currency]");
    var custom = form.querySelector("input[name=credits]");
    var showPrices = function () {
      form.querySelectorAll(".price").forEach(function (el) {
        el.hidden = el.getAttribute("data-currency") !== currency.value;
      });
      document.getElementById("usd-note").hidden = ["GBP", "EUR", "CAD", "AUD"].indexOf(currency.value) < 0;
    };
    currency.addEventListener("change", showPrices);
    showPrices();
    custom.addEventListener("input", function () {
      form.querySelector("input[name=package][value=custom]").checked = true;
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var error = document.getElementById("top-up-error");
      error.hidden = true;
      var picked = form.querySelector("input[name=package]:checked");
      var credits = parseInt(picked && picked.value !== "custom" ? picked.value : custom.value, 10);
      var min = parseInt(form.getAttribute("data-min"), 10);
      if (!(credits >= min)) {
        error.textContent = "The minimum top-up is " + min + " credits.";
        error.hidden = false;
        return;
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      window.repdesk.api("POST", "/api/billing/top-ups", { credits: credits, currency: currency.value })
        .then(function (started) { window.location.assign(started.authorizationUrl); })
        .catch(function (e) { error.textContent = e.message; error.hidden = false; button.disabled = false; });
    });
  }

  var balance = document.getElementById("credit-balance");
  if (!balance || !window.EventSource) return;
  var es = new EventSource("/api/billing/stream");
  es.addEventListener("balance", function (ev) {
    balance.textContent = JSON.parse(ev.data).credits;
  });
  es.addEventListener("payment.succeeded", function () {
    var notice = document.getElementById("topup-notice");
    notice.textContent = "Payment received: your credits have been added.";
    notice.hidden = false;
    window.repdesk.api("GET", "/api/billing/transactions?limit=1").then(function (page) {
      var e = page.data && page.data[0];
      var rows = document.getElementById("ledger-rows");
      if (!e || !rows) return;
      var esc = window.repdesk.escape;
      var tr = document.createElement("tr");
      var receipt = e.reference.indexOf("paystack:") === 0
        ? '<a href="/billing/receipts/' + esc(e.reference.slice(9)) + '">Receipt</a>' : "";
      tr.innerHTML = "<td>just now</td><td><span class=\"badge " + esc(e.kind) + "\">" + esc(e.kind) +
        "</span></td><td>" + esc(e.description || e.reason) + "</td><td class=\"num pos\">+" + esc(e.amount) +
        "</td><td class=\"num\">" + esc(e.balanceAfter) + "</td><td>" + receipt + "</td>";
      rows.insertBefore(tr, rows.firstChild);
    });
  });
})();
