/**
 * The "virtual phone" at `GET /`: pending STK prompts shown like a phone's SIM-toolkit dialog, with
 * the answers a customer can give, and the latest results. One self-contained page (inline CSS and
 * JS, no external assets) so it works offline at a merchant's demo. It only uses the control API.
 */

export function virtualPhonePage(): string {
  return PAGE
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Virtual phone · Daraja simulator</title>
<style>
  :root { --green: #1f9d3a; --green-dark: #177a2d; --ink: #1c2227; --muted: #66707a; --line: #e3e7eb; --bg: #eef1f4; --red: #c0392b; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
  main { max-width: 420px; margin: 24px auto; padding: 0 12px; }
  .phone { background: #111; border-radius: 36px; padding: 14px; box-shadow: 0 10px 30px rgba(0,0,0,.25); }
  .screen { background: #fafbfc; border-radius: 24px; min-height: 520px; overflow: hidden; display: flex; flex-direction: column; }
  .statusbar { display: flex; justify-content: space-between; padding: 8px 18px; font-size: 12px; color: #fff; background: var(--green-dark); }
  .title { padding: 12px 18px; background: var(--green); color: #fff; font-weight: 600; letter-spacing: .02em; }
  .content { padding: 14px; flex: 1; }
  .empty { color: var(--muted); text-align: center; margin-top: 80px; }
  .dialog { background: #fff; border: 1px solid var(--line); border-radius: 14px; padding: 14px; margin-bottom: 14px; box-shadow: 0 2px 6px rgba(0,0,0,.06); }
  .dialog .to { font-size: 12px; color: var(--muted); display: flex; justify-content: space-between; }
  .dialog .ask { font-size: 17px; font-weight: 600; margin: 8px 0 4px; }
  .dialog .account { color: var(--muted); margin-bottom: 10px; }
  .pin { width: 100%; font-size: 22px; letter-spacing: .5em; text-align: center; padding: 8px; border: 1px solid var(--line); border-radius: 8px; }
  .hint { font-size: 12px; color: var(--muted); margin: 4px 0 10px; text-align: center; }
  .buttons { display: grid; grid-template-columns: 1fr 1fr; gap: 8px; }
  button { font: inherit; padding: 9px 10px; border-radius: 8px; border: 1px solid var(--line); background: #fff; cursor: pointer; }
  button:hover { background: #f3f5f7; }
  button.ok { background: var(--green); color: #fff; border-color: var(--green); grid-column: 1 / -1; font-weight: 600; }
  button.ok:disabled { opacity: .5; cursor: not-allowed; }
  button.cancel { color: var(--red); }
  h2 { font-size: 14px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 22px 4px 8px; }
  .results { list-style: none; margin: 0; padding: 0; }
  .results li { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; margin-bottom: 8px; }
  .results .head { display: flex; justify-content: space-between; gap: 8px; font-weight: 600; }
  .results .meta { font-size: 12px; color: var(--muted); }
  .paid { color: var(--green-dark); }
  .failed { color: var(--red); }
  .pending { color: var(--muted); }
  footer { font-size: 12px; color: var(--muted); text-align: center; margin: 16px 0 32px; }
  footer a { color: inherit; }
  .offline { color: var(--red); }
</style>
</head>
<body>
<main>
  <div class="phone"><div class="screen">
    <div class="statusbar"><span>Safaricom (simulated)</span><span id="status">connecting…</span></div>
    <div class="title">M-PESA</div>
    <div class="content" id="prompts"><p class="empty">No payment requests.<br>Start a checkout to receive an STK prompt.</p></div>
  </div></div>
  <h2>Recent results</h2>
  <ul class="results" id="results"></ul>
  <footer>Daraja simulator · <a href="/simulator/prompts">prompts</a> · <a href="/simulator/stats">stats</a> · <a href="/simulator/callbacks">callbacks</a></footer>
</main>
<script>
(function () {
  "use strict";
  var promptsEl = document.getElementById("prompts");
  var resultsEl = document.getElementById("results");
  var statusEl = document.getElementById("status");
  var cards = new Map();
  var kes = new Intl.NumberFormat("en-KE");

  function h(tag, props, children) {
    var el = document.createElement(tag);
    Object.keys(props || {}).forEach(function (k) {
      if (k === "text") el.textContent = props[k];
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), props[k]);
      else el.setAttribute(k, props[k]);
    });
    (children || []).forEach(function (c) { el.appendChild(c); });
    return el;
  }

  function act(id, action, body) {
    return fetch("/simulator/prompts/" + encodeURIComponent(id) + "/" + action, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body || {})
    }).then(poll);
  }

  function payee(p) {
    var name = p.merchantName ? " " + p.merchantName : "";
    return p.transactionType === "CustomerBuyGoodsOnline" ? "till " + p.partyB + name : p.shortcode + name;
  }

  function dialog(p) {
    var pin = h("input", { class: "pin", type: "password", inputmode: "numeric", maxlength: "4", autocomplete: "off", "aria-label": "M-PESA PIN" });
    var ok = h("button", { class: "ok", text: "Send", disabled: "disabled", onclick: function () { act(p.checkoutRequestId, "approve"); } });
    pin.addEventListener("input", function () { ok.disabled = !/^\\d{4}$/.test(pin.value); });
    pin.addEventListener("keydown", function (e) { if (e.key === "Enter" && !ok.disabled) ok.click(); });
    var timer = h("span", { text: "" });
    var card = h("div", { class: "dialog" }, [
      h("div", { class: "to" }, [h("span", { text: "To " + p.phoneNumber }), timer]),
      h("div", { class: "ask", text: "Pay KES " + kes.format(p.amount) + " to " + payee(p) + "?" }),
      h("div", { class: "account", text: "Account no. " + p.accountReference + ". Enter M-PESA PIN:" }),
      pin,
      h("div", { class: "hint", text: "Any 4 digits approve the payment." }),
      h("div", { class: "buttons" }, [
        ok,
        h("button", { class: "cancel", text: "Cancel (1032)", onclick: function () { act(p.checkoutRequestId, "decline", { resultCode: 1032 }); } }),
        h("button", { text: "Wrong PIN (2001)", onclick: function () { act(p.checkoutRequestId, "decline", { resultCode: 2001 }); } }),
        h("button", { text: "Insufficient funds (1)", onclick: function () { act(p.checkoutRequestId, "decline", { resultCode: 1 }); } }),
        h("button", { text: "No answer (1037)", onclick: function () { act(p.checkoutRequestId, "timeout"); } })
      ])
    ]);
    return { el: card, timer: timer, expiresAt: p.expiresAt ? Date.parse(p.expiresAt) : null };
  }

  function resultItem(p) {
    var cls, head;
    if (p.state !== "completed") { cls = "pending"; head = "Sending result…"; }
    else if (p.resultCode === 0) { cls = "paid"; head = "Paid · " + p.mpesaReceiptNumber; }
    else { cls = "failed"; head = p.resultCode + " · " + p.resultDesc; }
    return h("li", {}, [
      h("div", { class: "head" }, [h("span", { class: cls, text: head }), h("span", { text: "KES " + kes.format(p.amount) })]),
      h("div", { class: "meta", text: p.phoneNumber + " → " + payee(p) + " · account " + p.accountReference + " · " + new Date(p.createdAt).toLocaleTimeString() })
    ]);
  }

  function render(prompts) {
    var waiting = prompts.filter(function (p) { return p.state === "awaiting_customer"; });
    var ids = new Set(waiting.map(function (p) { return p.checkoutRequestId; }));
    cards.forEach(function (card, id) { if (!ids.has(id)) { card.el.remove(); cards.delete(id); } });
    waiting.forEach(function (p) {
      if (!cards.has(p.checkoutRequestId)) {
        var card = dialog(p);
        cards.set(p.checkoutRequestId, card);
        promptsEl.appendChild(card.el);
      }
    });
    var empty = promptsEl.querySelector(".empty");
    if (empty) empty.style.display = cards.size ? "none" : "";
    var done = prompts.filter(function (p) { return p.state !== "awaiting_customer"; })
      .sort(function (a, b) { return Date.parse(b.decidedAt || b.createdAt) - Date.parse(a.decidedAt || a.createdAt); })
      .slice(0, 10);
    resultsEl.replaceChildren.apply(resultsEl, done.map(resultItem));
  }

  function tick() {
    cards.forEach(function (card) {
      if (card.expiresAt) card.timer.textContent = Math.max(0, Math.ceil((card.expiresAt - Date.now()) / 1000)) + " s";
    });
  }

  var polling = null;
  function poll() {
    if (polling) return polling;
    polling = fetch("/simulator/prompts", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(function (body) { render(body.prompts); statusEl.textContent = "online"; statusEl.className = ""; })
      .catch(function () { statusEl.textContent = "simulator offline"; statusEl.className = "offline"; })
      .then(function () { polling = null; });
    return polling;
  }

  poll();
  setInterval(poll, 1000);
  setInterval(tick, 250);
})();
</script>
</body>
</html>
`
