// `haps serve` against the web pages and clients that must not drive it (issue 17), probed over loopback with raw
// requests (fetch cannot set Host): a rebound Host name, a foreign Origin, a text/plain body (a blind cross-site
// POST), CORS preflight, a client that trickles its body, more connections than allowed, a `model` string with
// terminal escapes, a JSON schema llama.cpp cannot parse, and the token compared through digests.
import assert from "node:assert/strict";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { sameToken } from "../../../src/serve/HapsServer.ts";
import { printable } from "../../../src/serve/printable.ts";
import { startServe, type ServeFixture } from "./serveFixture.ts";

const ALLOWED = "http://allowed.example:3000";

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on its own connection, with exactly the headers given (Host included). */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, method, path, headers: { connection: "close", ...headers }, agent: false, setHost: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

const chatBody = (model: string, extra: object = {}) => JSON.stringify({ model, max_tokens: 4, messages: [{ role: "user", content: "hi" }], ...extra });

describe("haps serve trusts only this machine's clients", () => {
  let serve: ServeFixture;
  let port: number;
  let small: string;
  const host = () => `127.0.0.1:${port}`;
  before(async () => {
    serve = await startServe({ allowOrigins: [ALLOWED], requestTimeoutMs: 600, maxConnections: 3 });
    port = Number(new URL(serve.url).port);
    small = serve.config.candidates[0].id;
  });
  after(async () => await serve?.close());

  test("the issue's probe (foreign Host, foreign Origin, text/plain) gets no completion; each part alone is refused", async () => {
    const probe = await raw(port, "POST", "/v1/chat/completions", { host: `evil.example:${port}`, origin: "http://evil.example", "content-type": "text/plain" }, chatBody(small));
    assert.equal(probe.status, 403, probe.body);
    assert.doesNotMatch(probe.body, /chat\.completion/);

    const rebound = await raw(port, "POST", "/v1/chat/completions", { host: `evil.example:${port}`, "content-type": "application/json" }, chatBody(small));
    assert.equal(rebound.status, 403, rebound.body);
    assert.match(JSON.parse(rebound.body).error.message, /Host "evil\.example:\d+" is not a loopback name/);
    // Read-only routes too: after DNS rebinding a page could read them.
    assert.equal((await raw(port, "GET", "/v1/models", { host: `evil.example:${port}` })).status, 403);
    assert.equal((await raw(port, "GET", "/health", { host: "localhost.evil.example" })).status, 403);

    const foreign = await raw(port, "POST", "/v1/chat/completions", { host: host(), origin: "http://evil.example", "content-type": "application/json" }, chatBody(small));
    assert.equal(foreign.status, 403, foreign.body);
    assert.match(JSON.parse(foreign.body).error.message, /Origin "http:\/\/evil\.example" is not allowed: start haps serve with --allow-origin/);
    assert.equal(foreign.headers["access-control-allow-origin"], undefined);

    const plain = await raw(port, "POST", "/v1/chat/completions", { host: host(), "content-type": "text/plain" }, chatBody(small));
    assert.equal(plain.status, 415, plain.body);
    assert.match(JSON.parse(plain.body).error.message, /content-type: expected application\/json, got "text\/plain"/);
    const none = await raw(port, "POST", "/v1/load_lora_adapter", { host: host() }, "{}");
    assert.ok(none.status === 415 || none.status === 404, `${none.status} ${none.body}`);
  });

  test("loopback Host names are served: 127.0.0.1, localhost, [::1]", async () => {
    for (const name of [host(), `localhost:${port}`, `[::1]:${port}`, "localhost"]) {
      const answer = await raw(port, "GET", "/v1/models", { host: name });
      assert.equal(answer.status, 200, `${name}: ${answer.body}`);
    }
    const chat = await raw(port, "POST", "/v1/chat/completions", { host: `localhost:${port}`, "content-type": "application/json; charset=utf-8" }, chatBody(small));
    assert.equal(chat.status, 200, chat.body);
  });

  test("CORS: a preflight is answered for an allowed Origin only, and its requests get the allow header", async () => {
    const preflight = (origin: string) =>
      raw(port, "OPTIONS", "/v1/chat/completions", { host: host(), origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" });
    const allowed = await preflight(ALLOWED);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers["access-control-allow-origin"], ALLOWED);
    assert.match(String(allowed.headers["access-control-allow-headers"]), /content-type/);
    const refused = await preflight("http://evil.example");
    assert.equal(refused.status, 403);
    assert.equal(refused.headers["access-control-allow-origin"], undefined);
    const chat = await raw(port, "POST", "/v1/chat/completions", { host: host(), origin: ALLOWED, "content-type": "application/json" }, chatBody(small));
    assert.equal(chat.status, 200, chat.body);
    assert.equal(chat.headers["access-control-allow-origin"], ALLOWED);
  });

  test("a client that trickles its body is cut off at the request timeout", async () => {
    const socket = connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    const started = performance.now();
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: ${host()}\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{`);
    let received = "";
    socket.on("data", (d) => (received += d));
    const trickle = setInterval(() => socket.writable && socket.write(" "), 100);
    const closed = await new Promise<boolean>((resolve) => {
      socket.once("close", () => resolve(true));
      setTimeout(() => resolve(false), 10_000).unref();
    });
    clearInterval(trickle);
    socket.destroy();
    assert.ok(closed, `the connection was still open after ${(performance.now() - started).toFixed(0)} ms`);
    assert.match(received, /^HTTP\/1\.1 408/);
  });

  test("connections past the cap are closed as they arrive", async () => {
    const open: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = connect(port, "127.0.0.1");
        await new Promise((resolve) => s.once("connect", resolve));
        open.push(s);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      const extra = connect(port, "127.0.0.1");
      open.push(extra);
      extra.on("error", () => {});
      extra.write(`GET /health HTTP/1.1\r\nhost: ${host()}\r\n\r\n`);
      let received = "";
      extra.on("data", (d) => (received += d));
      const closed = await new Promise<boolean>((resolve) => {
        extra.once("close", () => resolve(true));
        setTimeout(() => resolve(false), 3_000).unref();
      });
      assert.ok(closed, "the fourth connection was closed");
      assert.equal(received, "", "and got no answer");
    } finally {
      for (const s of open) s.destroy();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  test("a hostile model string is escaped in the log: no terminal escape, no forged line", async () => {
    const model = "\u001b[2J\u001b[Hx\r\nPOST /v1/chat/completions haps 200 1 ms";
    const before = serve.log.length;
    const answer = await raw(port, "POST", "/v1/chat/completions", { host: host(), "content-type": "application/json" }, chatBody(model));
    assert.equal(answer.status, 404);
    const lines = serve.log.slice(before);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.doesNotMatch(lines[0], /[\u0000-\u001f\u007f]/);
    assert.match(lines[0], /\\x1b\[2J\\x1b\[Hx\\x0d\\x0aPOST/);
    assert.equal(printable("a".repeat(300)).length, 201);
  });

  test("a JSON schema llama.cpp cannot parse is a 400 naming response_format", async () => {
    const schema = { $defs: { a: { $ref: "#/$defs/a" } }, $ref: "#/$defs/a" };
    const answer = await raw(port, "POST", "/v1/chat/completions", { host: host(), "content-type": "application/json" }, chatBody(small, { response_format: { type: "json_schema", json_schema: { name: "x", schema } } }));
    assert.equal(answer.status, 400, answer.body);
    const error = JSON.parse(answer.body).error;
    assert.equal(error.param, "response_format.json_schema.schema");
    assert.match(error.message, /^response_format\.json_schema\.schema: the JSON schema cannot be turned into a grammar/);
  });
});

test("the token is compared through digests: equal tokens match, any other (shorter, longer, same length) does not", () => {
  assert.ok(sameToken("s3cret-token", "s3cret-token"));
  for (const given of ["", "s3cret", "s3cret-token-longer", "s3cret-tokeN", "s3cret-token\u0000"]) assert.ok(!sameToken(given, "s3cret-token"), given);
});
