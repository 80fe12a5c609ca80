// Where a key may go: origins, loopback names, and the host's keys bound to the origin they were stored for.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { emptyApiKeys, hostApiKeyFor, setHostApiKeys } from "../../../src/core/host/hostServices.ts";
import { API_KEY_ENV_PATTERN, checkKeyTransport, isLoopbackHost, originOf } from "../../../src/core/host/keyOrigin.ts";

describe("originOf", () => {
  test("scheme, host and port, with the default port written out", () => {
    assert.equal(originOf("https://API.OpenAI.com/v1/"), "https://api.openai.com:443");
    assert.equal(originOf("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080");
    assert.equal(originOf("http://[::1]/v1"), "http://[::1]:80");
    assert.notEqual(originOf("https://api.openai.com.evil.example/v1"), originOf("https://api.openai.com/v1"));
  });
  test("refuses what is not an http(s) URL", () => {
    assert.throws(() => originOf("ftp://x/"), /not an http:\/\/ or https:\/\/ URL/);
    assert.throws(() => originOf("api.openai.com"), /not a URL/);
  });
});

describe("isLoopbackHost", () => {
  test("loopback names and addresses only", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST.", "app.localhost", "[::1]", "::1"]) assert.ok(isLoopbackHost(host), host);
    for (const host of ["evil.example", "localhost.evil.example", "10.0.0.1", "0.0.0.0", "[::]", "127.0.0.1.nip.io"]) assert.ok(!isLoopbackHost(host), host);
  });
});

describe("checkKeyTransport", () => {
  test("https anywhere, http to loopback only", () => {
    checkKeyTransport("https://api.example.com/v1", "a");
    checkKeyTransport("http://127.0.0.1:8080/v1", "a");
    checkKeyTransport("http://localhost:8080/v1", "a");
    assert.throws(() => checkKeyTransport("http://evil.example/v1", "gpt-4o"), /candidate "gpt-4o": its API key is not sent to http:\/\/evil\.example:80: plain http/);
  });
});

describe("API_KEY_ENV_PATTERN", () => {
  test("*_API_KEY and HAPS_* only", () => {
    for (const name of ["OPENAI_API_KEY", "HAPS_TEST_KEY", "my_API_KEY"]) assert.ok(API_KEY_ENV_PATTERN.test(name), name);
    for (const name of ["SECRET_OF_USER", "GITHUB_TOKEN", "AWS_SECRET_ACCESS_KEY", "API_KEY_X", "HAPS"]) assert.ok(!API_KEY_ENV_PATTERN.test(name), name);
  });
});

describe("hostApiKeyFor", () => {
  afterEach(() => setHostApiKeys(emptyApiKeys()));
  test("a key by id goes only to the origin it was stored for", () => {
    setHostApiKeys({ byCandidate: { "gpt-4o": { key: "sk-user", origin: "https://api.openai.com/v1" } }, byOrigin: {} });
    assert.equal(hostApiKeyFor({ id: "gpt-4o", baseUrl: "https://api.openai.com:443/v1/" }), "sk-user");
    assert.throws(
      () => hostApiKeyFor({ id: "gpt-4o", baseUrl: "http://evil.example/v1" }),
      /candidate "gpt-4o": its stored API key is for https:\/\/api\.openai\.com:443, but the configuration sends this candidate to http:\/\/evil\.example:80; the key is not sent/,
    );
  });
  test("a key by origin serves every candidate at that origin and no other", () => {
    setHostApiKeys({ byCandidate: {}, byOrigin: { "https://api.example.com/v1": "sk-o" } });
    assert.equal(hostApiKeyFor({ id: "a", baseUrl: "https://api.example.com/v2" }), "sk-o");
    assert.equal(hostApiKeyFor({ id: "a", baseUrl: "http://api.example.com/v1" }), undefined);
    assert.equal(hostApiKeyFor({ id: "a", baseUrl: "https://api.example.com:8443/v1" }), undefined);
  });
  test("a key stored before keys were bound to an origin is sent nowhere", () => {
    setHostApiKeys({ byCandidate: { a: { key: "sk-old", origin: "" } }, byOrigin: {} });
    assert.throws(() => hostApiKeyFor({ id: "a", baseUrl: "https://api.example.com/v1" }), /stored before keys were bound to one/);
  });
});
