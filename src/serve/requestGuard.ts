// Who may drive `haps serve`. A server on 127.0.0.1 is still reachable from every web page the user opens: a page can
// send blind cross-site requests (a POST with `content-type: text/plain` needs no preflight), and DNS rebinding lets
// it read the answers under its own host name. As Ollama and llama.cpp's server do, a loopback server therefore
// accepts only loopback Host names, refuses browser Origins that are not on an allow-list (none by default), takes
// request bodies only as `application/json` (which a page cannot send cross-site without a preflight), and answers a
// CORS preflight only for an allowed Origin.
import type { IncomingMessage, ServerResponse } from "node:http";
import { isLoopbackHost } from "../core/host/keyOrigin.ts";
import { HttpError } from "./HttpError.ts";

export interface RequestGuardOptions {
  /** The address the server listens on: a loopback one turns on the Host check. */
  bindHost: string;
  /** Browser origins (`https://app.example`, exact) whose pages may call the server; default none. */
  allowOrigins?: readonly string[];
}

export class RequestGuard {
  private readonly loopback: boolean;
  private readonly allowed: Set<string>;

  constructor(options: RequestGuardOptions) {
    this.loopback = isLoopbackHost(options.bindHost);
    this.allowed = new Set((options.allowOrigins ?? []).map(normaliseOrigin));
  }

  /**
   * Checks Host and Origin, and answers a CORS preflight itself (returns true then). Allowed cross-origin requests
   * get their CORS headers set on `res`.
   */
  check(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.loopback) {
      const hostname = hostnameOf(req.headers.host);
      // DNS rebinding: a page's own name resolved to 127.0.0.1 arrives here with that name as Host.
      if (hostname == null || !isLoopbackHost(hostname))
        throw new HttpError(403, `Host ${JSON.stringify(req.headers.host ?? "")} is not a loopback name: this server answers requests for 127.0.0.1, [::1] and localhost only`, "permission_error");
    }
    const origin = req.headers.origin;
    if (origin != null) {
      if (!this.allowed.has(normaliseOrigin(origin)))
        throw new HttpError(403, `Origin ${JSON.stringify(origin)} is not allowed: start haps serve with --allow-origin ${safeOrigin(origin)} to let its pages call this server`, "permission_error");
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "Origin");
      if (req.method === "OPTIONS") {
        res
          .writeHead(204, {
            "access-control-allow-methods": "GET, POST",
            "access-control-allow-headers": "authorization, content-type",
            "access-control-max-age": "600",
          })
          .end();
        return true;
      }
    }
    return false;
  }
}

/** Throws 415 unless the request's body is declared as JSON. */
export function requireJsonBody(req: IncomingMessage): void {
  const type = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json")
    throw new HttpError(415, `content-type: expected application/json, got ${type === "" ? "none" : JSON.stringify(type)}`, "invalid_request_error", null, { accept: "application/json" });
}

function hostnameOf(host: string | undefined): string | null {
  if (host == null || host === "") return null;
  try {
    return new URL(`http://${host}`).hostname;
  } catch {
    return null;
  }
}

function normaliseOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, "").toLowerCase();
}

/** An Origin header as it may be quoted in a message: printable ASCII only. */
function safeOrigin(origin: string): string {
  return origin.replace(/[^\x21-\x7e]/g, "?").slice(0, 200);
}
