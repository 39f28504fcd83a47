/**
 * Back ends for the reverse-proxy tests, in the test process: a node:http app that echoes what
 * it received (method, target, headers, a SHA-256 of the body), streams big or chunked bodies,
 * redirects, sends 103, dies mid-response (Content-Length, chunked or close-delimited), floods a slow reader, never answers; and a WebSocket
 * echo server (the `ws` package) on the same port.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { WebSocketServer } from "ws";

export interface Backend {
  readonly port: number;
  /** Connections accepted so far. */
  connections: number;
  /** Bytes /flood has handed to its socket so far. */
  flooded: number;
  /** /events responses whose connection closed before the response ended (the proxy let go). */
  eventsCut: number;
  /** /hang requests whose connection closed (nobody waits for their answer any more). */
  hangsLetGo: number;
  /** Requests seen with an Upgrade, and the last WebSocket's closing. */
  wsClosed: Promise<void>;
  close(): Promise<void>;
}

/** The back end, over https when `tls` (PEM certificate chain and key) is given. */
export async function startBackend(tls?: { cert: string; key: string }): Promise<Backend> {
  const sockets = new Set<Socket>();
  let resolveWsClosed = (): void => {};
  const state: Backend = {
    port: 0,
    connections: 0,
    flooded: 0,
    eventsCut: 0,
    hangsLetGo: 0,
    wsClosed: new Promise((r) => (resolveWsClosed = r)),
    close: () =>
      new Promise<void>((resolve) => {
        wss.close();
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const app = (req: IncomingMessage, res: ServerResponse): void => {
    // a client the proxy cut (a test's slow reader) aborts the body: not a test failure
    route(req, res, state).catch(() => res.destroy());
  };
  const server: Server = tls === undefined ? createServer(app) : createHttpsServer(tls, app);
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ server });
  wss.on("connection", (ws, req) => {
    ws.send(`hello ${req.url ?? ""} ${req.headers["x-forwarded-for"] ?? ""}`);
    ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on("close", () => {
      resolveWsClosed();
      state.wsClosed = new Promise((r) => (resolveWsClosed = r));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  (state as { port: number }).port = (server.address() as AddressInfo).port;
  return state;
}

async function route(req: IncomingMessage, res: ServerResponse, state: Backend): Promise<void> {
  const url = req.url ?? "/";
  const path = url.replace(/\?.*/, "");
  if (path.endsWith("/hang")) {
    res.on("close", () => state.hangsLetGo++);
    return; // never answers
  }
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of req) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  if (path.endsWith("/redirect")) {
    res.writeHead(302, {
      Location: `http://127.0.0.1:${state.port}${path.replace(/redirect$/, "target")}`,
    });
    return void res.end();
  }
  if (path.endsWith("/away")) {
    // a redirect to a back-end path no route maps
    res.writeHead(302, { Location: `http://127.0.0.1:${state.port}/elsewhere` });
    return void res.end();
  }
  if (path.endsWith("/early")) res.writeEarlyHints({ link: "</app.css>; rel=preload" });
  if (path.endsWith("/chunked")) {
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.write("first part\n");
    setTimeout(() => res.end("second part\n"), 50);
    return;
  }
  if (path.endsWith("/events")) {
    // Server-Sent Events: one event now, the last one and the end after ?ms= (default 1 s)
    const ms = Number(new URLSearchParams(url.split("?")[1]).get("ms") ?? 1000);
    res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    res.write("data: one\n\n");
    const timer = setTimeout(() => res.end("data: last\n\n"), ms);
    res.on("close", () => {
      clearTimeout(timer);
      if (!res.writableFinished) state.eventsCut++;
    });
    return;
  }
  if (path.endsWith("/big")) {
    const total = Number(new URLSearchParams(url.split("?")[1]).get("mib") ?? 1) * 1024 * 1024;
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": total });
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    return pump();
  }
  if (path.endsWith("/flood")) {
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    const pump = (): void => {
      while (state.flooded < 256 * 1024 * 1024) {
        state.flooded += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    res.on("close", () => (state.flooded = -state.flooded));
    return pump();
  }
  if (path.endsWith("/die-close")) {
    // Close-delimited (RFC 9112 §6.3 rule 8), written raw: node:http would chunk it. Only a
    // reset tells that such a body was cut (after a FIN it is complete, for the proxy too).
    const socket = req.socket;
    socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n");
    socket.write("x".repeat(1000));
    setTimeout(() => socket.resetAndDestroy(), 100);
    return;
  }
  if (path.endsWith("/die-length") || path.endsWith("/die-chunked")) {
    const headers: Record<string, string | number> = { "Content-Type": "text/plain" };
    if (path.endsWith("/die-length")) headers["Content-Length"] = 100_000;
    res.writeHead(200, headers);
    res.write("x".repeat(1000));
    setTimeout(() => res.socket?.destroy(), 100);
    return;
  }
  res.writeHead(200, {
    "Content-Type": "application/json",
    Connection: "X-Hop",
    "X-Hop": "must not reach the client",
    "Keep-Alive": "timeout=30",
    "X-End": "kept",
  });
  res.end(
    JSON.stringify({
      method: req.method,
      url,
      headers: req.rawHeaders,
      bytes,
      sha256: hash.digest("hex"),
    }),
  );
}
