// A developer's webhook receiver, written the way the seed's examples verify deliveries:
//  - quick start (Express): HMAC-SHA256 over JSON.stringify(req.body) after parsing the JSON;
//  - "Signature verification": HMAC-SHA256 over the raw body, compared with timingSafeEqual.
// Plain node:http, no npm packages. Prints {"port": N} on stdout once listening.
//
// Control endpoints (for tests): POST /_control {"secret","failNext","status","sleepMs"}
// sets the signing secret and makes the next `failNext` deliveries answer `status` (default 500)
// or wait `sleepMs` first; GET /_received lists what arrived and how verification went.
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");

let secret = "your_webhook_secret";
let failNext = 0;
let failStatus = 500;
let sleepNext = 0;
let sleepMs = 0;
const received = [];

function verifyWebhook(rawBody, signature, key) {
  const expected = crypto.createHmac("sha256", key).update(rawBody).digest("hex");
  const a = Buffer.from(signature || "");
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const raw = Buffer.concat(chunks).toString("utf8");
    if (req.url === "/_control" && req.method === "POST") {
      const c = JSON.parse(raw);
      if (c.secret !== undefined) secret = c.secret;
      if (c.failNext !== undefined) failNext = c.failNext;
      if (c.status !== undefined) failStatus = c.status;
      if (c.sleepNext !== undefined) sleepNext = c.sleepNext;
      if (c.sleepMs !== undefined) sleepMs = c.sleepMs;
      if (c.reset) received.length = 0;
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end("{}");
      return;
    }
    if (req.url === "/_received" && req.method === "GET") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(received));
      return;
    }
    const answer = () => {
      // The seed's Express handler, line for line (express.json() === JSON.parse of the body).
      const body = JSON.parse(raw);
      const signature = req.headers["x-247rep-signature"];
      const expectedSig = crypto
        .createHmac("sha256", secret)
        .update(JSON.stringify(body))
        .digest("hex");
      const entry = {
        path: req.url,
        event: body.event,
        from: body.data && body.data.from,
        content: body.data && body.data.content,
        data: body.data,
        timestamp: req.headers["x-247rep-timestamp"],
        stringifyOk: signature === expectedSig,
        rawOk: verifyWebhook(raw, signature, secret),
        sameBytes: JSON.stringify(body) === raw,
        answered: 200,
      };
      if (failNext > 0) {
        failNext -= 1;
        entry.answered = failStatus;
        received.push(entry);
        res.writeHead(failStatus);
        res.end("failing on purpose");
        return;
      }
      received.push(entry);
      if (signature !== expectedSig) {
        entry.answered = 401;
        res.writeHead(401);
        res.end("Invalid signature");
        return;
      }
      res.writeHead(200);
      res.end("OK");
    };
    if (sleepNext > 0) {
      sleepNext -= 1;
      setTimeout(answer, sleepMs);
    } else {
      answer();
    }
  });
});

server.listen(0, "127.0.0.1", () => {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + "\n");
});
