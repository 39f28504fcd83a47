/**
 * Runs the same request script in the four connection modes of DESIGN §10 (darkhttpd's
 * TestKeepAlive, Go's run(t, mode)): a fresh connection per request, one keep-alive
 * connection, all requests pipelined in one write, and every byte dribbled on its own.
 * A step the server answers with a close ends its connection; later steps open a new one.
 */
import { connect, type Socket } from "node:net";
import { parseResponse, requestMethod, type HttpResponse } from "./http-response.js";

export const CONNECTION_MODES = ["fresh", "keep-alive", "pipelined", "dribbled"] as const;
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

export interface Step {
  readonly request: string | Buffer;
  /** The server closes the connection after answering this step. */
  readonly closes?: boolean;
}

/** A client connection that collects bytes and hands out parsed responses. */
export class RawConnection {
  private data = Buffer.alloc(0);
  private offset = 0;
  closed = false;
  private wake: (() => void) | undefined;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (c: Buffer) => {
      this.data = Buffer.concat([this.data, c]);
      this.wake?.();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.wake?.();
    });
  }

  static open(port: number, host = "127.0.0.1"): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host });
      socket.once("connect", () => {
        socket.off("error", reject);
        resolve(new RawConnection(socket));
      });
      socket.once("error", reject);
    });
  }

  /** Writes bytes at once, or one byte per write (each on its own turn of the event loop). */
  async send(bytes: string | Buffer, dribble = false): Promise<void> {
    const b = typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
    if (!dribble) {
      this.socket.write(b);
      return;
    }
    for (let i = 0; i < b.length; i++) {
      if (this.socket.destroyed) return;
      this.socket.write(b.subarray(i, i + 1));
      await new Promise((r) => setImmediate(r));
    }
  }

  /** The next response (for a request with `method`); rejects after timeoutMs. */
  async readResponse(method: string, timeoutMs = 10_000): Promise<HttpResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parseResponse(this.data, this.offset, method, this.closed);
      if (parsed !== undefined) {
        this.offset = parsed.next;
        return parsed.response;
      }
      if (this.closed) throw new Error("connection closed before a response");
      await this.waitForEvent(deadline);
    }
  }

  /** Waits until the server closes; rejects after timeoutMs. */
  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) await this.waitForEvent(deadline);
  }

  /** Bytes received beyond the responses read so far. */
  unread(): Buffer {
    return this.data.subarray(this.offset);
  }

  close(): void {
    this.socket.destroy();
  }

  private waitForEvent(deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.wake = undefined;
          reject(
            new Error(
              `timed out; received so far: ${JSON.stringify(this.unread().toString("latin1").slice(0, 300))}`,
            ),
          );
        },
        Math.max(1, deadline - Date.now()),
      );
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}

/**
 * Sends `steps` in `mode` and returns one response per step. After a step marked `closes`,
 * asserts the server really closed and sent nothing more (no second response made from
 * smuggled bytes).
 */
export async function runSteps(
  port: number,
  mode: ConnectionMode,
  steps: readonly Step[],
): Promise<HttpResponse[]> {
  const responses: HttpResponse[] = [];
  let conn: RawConnection | undefined;
  const finishClosing = async (c: RawConnection): Promise<void> => {
    await c.waitClosed();
    if (c.unread().length !== 0) {
      throw new Error(
        `bytes after a closing response: ${JSON.stringify(c.unread().toString("latin1"))}`,
      );
    }
  };
  try {
    if (mode === "pipelined") {
      let batch: Step[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const c = await RawConnection.open(port);
        conn = c;
        await c.send(Buffer.concat(batch.map((s) => toBuffer(s.request))));
        for (const s of batch) responses.push(await c.readResponse(requestMethod(s.request)));
        if (batch[batch.length - 1]?.closes === true) await finishClosing(c);
        c.close();
        batch = [];
      };
      for (const s of steps) {
        batch.push(s);
        if (s.closes === true) await flush();
      }
      await flush();
      return responses;
    }
    for (const s of steps) {
      if (conn === undefined || mode === "fresh") {
        conn?.close();
        conn = await RawConnection.open(port);
      }
      await conn.send(s.request, mode === "dribbled");
      responses.push(await conn.readResponse(requestMethod(s.request)));
      if (s.closes === true) {
        await finishClosing(conn);
        conn = undefined;
      }
    }
    return responses;
  } finally {
    (conn as RawConnection | undefined)?.close();
  }
}

function toBuffer(bytes: string | Buffer): Buffer {
  return typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes;
}
