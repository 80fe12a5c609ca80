// A loopback HTTP proxy in front of a real server (haps serve) that misbehaves on cue, as remote APIs do: error
// statuses with or without Retry-After, silence, a stream cut off half-way. Everything it forwards is the real
// server's answer; it speaks plain HTTP on 127.0.0.1 only.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type FaultAction =
  | { kind: "forward" }
  /** Answer this status (with headers and a JSON error body) instead of forwarding. */
  | { kind: "status"; status: number; headers?: Record<string, string>; message?: string }
  /** Accept the request and never answer. */
  | { kind: "stall" }
  /** Forward, but cut the connection once this many bytes of the answer went through. */
  | { kind: "cut"; afterBytes: number }
  /** 401 whose message quotes the Authorization header back (as some APIs quote the key they refused). */
  | { kind: "echo-auth" };

export interface SeenRequest {
  at: number;
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

export interface FaultProxy {
  /** The proxy's base URL with the target's path, e.g. `http://127.0.0.1:PORT/v1`. */
  url: string;
  seen: SeenRequest[];
  /** Decides what happens to request number n (0-based). */
  script: (n: number, request: SeenRequest) => FaultAction;
  close(): Promise<void>;
}

export async function startFaultProxy(targetUrl: string, script: FaultProxy["script"] = () => ({ kind: "forward" })): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const seen: SeenRequest[] = [];
  const stalled = new Set<ServerResponse>();
  const proxy: FaultProxy = { url: "", seen, script, close: async () => {} };
  const server: Server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const entry: SeenRequest = { at: performance.now(), method: req.method ?? "GET", path: req.url ?? "/", authorization: req.headers.authorization, body };
    const action = proxy.script(seen.length, entry);
    seen.push(entry);
    if (action.kind === "status") {
      res.writeHead(action.status, { "content-type": "application/json", ...action.headers });
      res.end(JSON.stringify({ error: { message: action.message ?? `injected ${action.status}`, type: "injected" } }));
      return;
    }
    if (action.kind === "echo-auth") {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${req.headers.authorization ?? "(none)"}` } }));
      return;
    }
    if (action.kind === "stall") {
      stalled.add(res);
      return;
    }
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        let sent = 0;
        answer.on("data", (piece: Buffer) => {
          if (action.kind === "cut" && sent + piece.length > action.afterBytes) {
            res.write(piece.subarray(0, Math.max(0, action.afterBytes - sent)));
            res.socket?.destroy();
            answer.destroy();
            return;
          }
          sent += piece.length;
          res.write(piece);
        });
        answer.on("end", () => res.end());
      },
    );
    upstream.on("error", () => res.destroy());
    // The client left: so does the request upstream (the real server then cancels its generation).
    res.on("close", () => upstream.destroy());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  proxy.url = `http://127.0.0.1:${port}${target.pathname}`;
  proxy.close = async () => {
    for (const res of stalled) res.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
