// Where an API key may go. A key is bound to the origin (scheme, host, port) it was stored for, and no key travels in
// clear text except to this machine: a bearer key sent over http to another host can be read by anyone on the way.
// Kept apart from the stores (the extension's SecretStorage, the environment) so that every path that attaches a key
// to a request passes the same two checks.
import { isIP } from "node:net";

/** `scheme://host:port` of a URL, with the scheme's default port written out (`https://api.openai.com:443`). */
export function originOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(url)}`);
  }
  const scheme = parsed.protocol.replace(/:$/, "").toLowerCase();
  if (scheme !== "http" && scheme !== "https") throw new Error(`not an http:// or https:// URL: ${JSON.stringify(url)}`);
  const port = parsed.port !== "" ? parsed.port : scheme === "https" ? "443" : "80";
  return `${scheme}://${parsed.hostname.toLowerCase()}:${port}`;
}

/** Whether a host name (as in a URL or a Host header, IPv6 with or without brackets) names this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || /^::ffff:127\./.test(host) || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(host);
  return false;
}

/** Throws unless a key may be sent to `baseUrl`: https anywhere, http only to a loopback address. */
export function checkKeyTransport(baseUrl: string, who: string): void {
  const url = new URL(baseUrl);
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname))
    throw new Error(
      `candidate "${who}": its API key is not sent to ${originOf(baseUrl)}: plain http to another machine would expose it on the way. ` +
        "Use an https:// baseUrl (http is allowed for 127.0.0.1, ::1 and localhost only).",
    );
}

/**
 * Environment variables a configuration may name as `apiKeyEnv`: `*_API_KEY` and `HAPS_*`. Any other name could
 * make a configuration send an unrelated secret of the user's (a token, a password) to its server as a bearer key.
 */
export const API_KEY_ENV_PATTERN = /^(?:HAPS_[A-Za-z0-9_]+|[A-Za-z_][A-Za-z0-9_]*_API_KEY)$/;
