/**
 * The echo client's plain modes: send one message and check it comes back, or stream an input
 * (stdin) through the server to an output, checking every byte on the way.
 */
import type { Readable, Writable } from "node:stream";
import { performance } from "node:perf_hooks";
import {
  connectEcho,
  DEFAULT_WINDOW_BYTES,
  resolveTarget,
  type EchoClientOptions,
} from "./client-socket.js";
import { EchoReceiver } from "./echo-receiver.js";
import { firstDifference } from "./payload-pattern.js";
import { TcpkitError, toNetworkError } from "../util/tcpkit-error.js";

export interface EchoMessageOptions extends EchoClientOptions {
  message: Uint8Array | string;
}

export interface EchoMessageResult {
  /** The bytes sent. */
  sent: Buffer;
  /** The bytes that came back: as many as were sent, then any extra ones. */
  received: Buffer;
  /** Offset of the first byte that differs, or -1 if the echo is exact (no extra bytes). */
  firstMismatch: number;
  /** Bytes that came back beyond those sent, before the server closed (or a second passed). */
  extraBytes: number;
  connectMs: number;
  /** From the first byte sent to the last byte back, ms. */
  roundTripMs: number;
}

/** How long the message mode waits for the server's close after the echo, counting extra bytes. */
const EXTRA_BYTES_WAIT_MS = 1000;

/**
 * Sends `message`, reads until as many bytes came back, half-closes, and reports whether they
 * match with nothing more before the server's close (RFC 862: the server sends back exactly what
 * it received). A mismatch is a result, not an error; a connection closed early, a timeout or a
 * network failure reject with a TcpkitError.
 */
export async function echoMessage(options: EchoMessageOptions): Promise<EchoMessageResult> {
  const target = resolveTarget(options);
  const sent =
    typeof options.message === "string"
      ? Buffer.from(options.message, "utf8")
      : Buffer.from(options.message);
  const { socket, connectMs } = await connectEcho(target);
  try {
    const receiver = new EchoReceiver(socket, target);
    const started = performance.now();
    socket.write(sent);
    const echoed = sent.length === 0 ? Buffer.alloc(0) : await receiver.read(sent.length);
    const roundTripMs = performance.now() - started;
    socket.end();
    const extra = await receiver.extraBeforeClose(Math.min(target.timeoutMs, EXTRA_BYTES_WAIT_MS));
    const diff = firstDifference(echoed, sent);
    return {
      sent,
      received: extra.length === 0 ? echoed : Buffer.concat([echoed, extra]),
      firstMismatch: diff < sent.length ? diff : extra.length > 0 ? sent.length : -1,
      extraBytes: extra.length,
      connectMs,
      roundTripMs,
    };
  } finally {
    socket.end();
    socket.destroySoon();
  }
}

export interface EchoStreamOptions extends EchoClientOptions {
  /** Bytes to send (stdin in the CLI). */
  input: Readable;
  /** Where the echoed bytes go (stdout in the CLI). */
  output: Writable;
  /** Most bytes sent but not yet echoed (default DEFAULT_WINDOW_BYTES). */
  windowBytes?: number;
}

export interface EchoStreamResult {
  bytesSent: number;
  bytesReceived: number;
  connectMs: number;
  /** From connected to the last byte echoed, ms. */
  elapsedMs: number;
}

/**
 * Streams `input` to the server and the echo to `output`, verifying every byte against what
 * was sent. When input ends the client half-closes and waits for the rest of the echo.
 * Rejects with ERR_ECHO_MISMATCH on the first wrong byte, ERR_CONNECTION_CLOSED if the server
 * closes before echoing everything, ERR_TIMEOUT if the echo stalls.
 */
export async function echoStream(options: EchoStreamOptions): Promise<EchoStreamResult> {
  const target = resolveTarget(options);
  const { socket, connectMs } = await connectEcho(target);
  const { input, output } = options;
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  const started = performance.now();
  /** Read from input, not sent yet: waits while the window is full. */
  const waiting: Buffer[] = [];
  let socketFull = false;
  let sentEnd = false;
  /** Sent chunks not yet echoed back (the head possibly partly echoed: `headOffset`). */
  const unechoed: Buffer[] = [];
  let headOffset = 0;
  let unechoedBytes = 0;
  let bytesSent = 0;
  let bytesReceived = 0;
  let inputEnded = false;

  return new Promise<EchoStreamResult>((resolve, reject) => {
    let settled = false;
    const finish = (err: TcpkitError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      input.off("data", inputOnData);
      input.off("end", inputOnEnd);
      input.pause();
      socket.destroy();
      if (err !== undefined) reject(err);
      else resolve({ bytesSent, bytesReceived, connectMs, elapsedMs: performance.now() - started });
    };
    let stallTimer = setTimeout(onStall, target.timeoutMs);
    function onStall(): void {
      if (unechoedBytes === 0 && !inputEnded) {
        // Waiting on input, not on the server: that is not a stall.
        stallTimer = setTimeout(onStall, target.timeoutMs);
        return;
      }
      finish(
        new TcpkitError(
          "ERR_TIMEOUT",
          `no echo from ${target.peer} within ${target.timeoutMs / 1000} s (${unechoedBytes} bytes outstanding)`,
        ),
      );
    }
    const maybeDone = (): void => {
      if (sentEnd && unechoedBytes === 0) finish(undefined);
    };

    /**
     * Sends waiting input while the window has room: at most `windowBytes` in flight, so a
     * server that stops echoing never makes this process buffer the whole input (and an echo
     * that cannot read while its own output is unread, such as socat's PIPE, never deadlocks
     * with a small enough window).
     */
    function send(): void {
      while (waiting.length > 0 && !socketFull && unechoedBytes < windowBytes) {
        const head = waiting[0] as Buffer;
        const n = Math.min(head.length, windowBytes - unechoedBytes);
        const part = head.subarray(0, n);
        if (n === head.length) waiting.shift();
        else waiting[0] = head.subarray(n);
        unechoed.push(part);
        unechoedBytes += n;
        bytesSent += n;
        if (!socket.write(part)) socketFull = true;
      }
      if (waiting.length > 0 || socketFull) {
        input.pause();
      } else if (inputEnded) {
        if (!sentEnd) {
          sentEnd = true;
          socket.end();
        }
      } else {
        input.resume();
      }
    }
    function inputOnData(chunk: Buffer | string): void {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      if (bytes.length === 0) return;
      waiting.push(bytes);
      send();
    }
    function inputOnEnd(): void {
      inputEnded = true;
      send();
      maybeDone();
    }
    input.on("data", inputOnData);
    input.on("end", inputOnEnd);
    input.on("error", (err) =>
      finish(new TcpkitError("ERR_FILE", `cannot read input: ${err.message}`)),
    );
    output.on("error", (err) =>
      finish(new TcpkitError("ERR_FILE", `cannot write output: ${err.message}`)),
    );
    socket.on("drain", () => {
      socketFull = false;
      send();
    });
    socket.on("data", (chunk: Buffer) => {
      stallTimer.refresh();
      let offset = 0;
      while (offset < chunk.length) {
        const head = unechoed[0];
        if (head === undefined) {
          finish(
            new TcpkitError(
              "ERR_ECHO_MISMATCH",
              `${target.peer} sent back more bytes than were sent (${bytesReceived + offset + 1} > ${bytesSent})`,
            ),
          );
          return;
        }
        const n = Math.min(head.length - headOffset, chunk.length - offset);
        const got = chunk.subarray(offset, offset + n);
        const want = head.subarray(headOffset, headOffset + n);
        if (!got.equals(want)) {
          const at = bytesReceived + offset + firstDifference(got, want);
          finish(
            new TcpkitError("ERR_ECHO_MISMATCH", `echoed byte ${at} differs from the byte sent`),
          );
          return;
        }
        offset += n;
        headOffset += n;
        if (headOffset === head.length) {
          unechoed.shift();
          headOffset = 0;
        }
      }
      unechoedBytes -= chunk.length;
      bytesReceived += chunk.length;
      if (!output.write(chunk)) {
        socket.pause();
        output.once("drain", () => socket.resume());
      }
      send();
      maybeDone();
    });
    socket.on("error", (err) => finish(toNetworkError(err, target.peer)));
    socket.on("end", () => {
      if (unechoedBytes > 0) {
        finish(
          new TcpkitError(
            "ERR_CONNECTION_CLOSED",
            `connection closed by ${target.peer} after ${bytesReceived} of ${bytesSent} bytes echoed`,
          ),
        );
      } else if (!sentEnd) {
        finish(
          new TcpkitError(
            "ERR_CONNECTION_CLOSED",
            `connection closed by ${target.peer} before the input ended (${bytesSent} bytes sent)`,
          ),
        );
      }
    });
  });
}
