/**
 * One RFC 862 TCP connection: every byte read is written back, in order. The listeners are
 * module-level functions (no closures per chunk) because this is the whole hot path.
 *
 * Life of a connection:
 *  1. 'data': the chunk is written back at once. If the socket's write queue is over its
 *     high-water mark, reading pauses, so a client that sends without reading fills its own
 *     socket buffers, not this process's memory; 'drain' resumes reading.
 *  2. 'end' (the client shut down its sending side): everything received has been queued by
 *     then; end() sends the rest and then our FIN (half-close, allowHalfOpen on the server).
 *  3. 'timeout' (no byte either way for the idle timeout): destroy.
 *  4. 'error' (reset, vanished client): nothing to do beyond the close that follows; the error
 *     concerns this client only.
 */
import type { Socket } from "node:net";
import { noteBytesRead } from "../util/runtime-tuning.js";

/** Per-connection hooks, kept on the socket so the listeners need no closures. */
export interface EchoConnectionHooks {
  /** Called once when the idle timeout closes the connection. */
  onIdleTimeout(): void;
}

const kHooks = Symbol("tcpkit.echoHooks");
type EchoSocket = Socket & { [kHooks]: EchoConnectionHooks };

/**
 * Starts echoing on an accepted socket. `idleTimeoutMs` 0 disables the idle timeout. The
 * socket must come from a server created with allowHalfOpen: true.
 */
export function startEchoConnection(
  socket: Socket,
  hooks: EchoConnectionHooks,
  idleTimeoutMs: number,
): void {
  (socket as EchoSocket)[kHooks] = hooks;
  socket.on("error", socketOnError);
  socket.on("data", socketOnData);
  socket.on("drain", socketOnDrain);
  socket.on("end", socketOnEnd);
  if (idleTimeoutMs > 0) {
    socket.setTimeout(idleTimeoutMs);
    socket.on("timeout", socketOnTimeout);
  }
}

/**
 * Winds a connection down for a graceful stop: stop reading, send what is queued, then FIN.
 * The client gets every byte echoed so far; bytes it sends later are not read.
 */
export function finishEchoConnection(socket: Socket): void {
  socket.pause();
  socket.end();
}

function socketOnData(this: EchoSocket, chunk: Buffer): void {
  if (!this.write(chunk)) this.pause();
  noteBytesRead(chunk.length);
}

function socketOnDrain(this: EchoSocket): void {
  // After finishEchoConnection (or the client's FIN) there is nothing more to read.
  if (!this.writableEnded) this.resume();
}

function socketOnEnd(this: EchoSocket): void {
  this.end();
}

function socketOnTimeout(this: EchoSocket): void {
  this[kHooks].onIdleTimeout();
  this.destroy();
}

function socketOnError(): void {
  // ECONNRESET, EPIPE, ETIMEDOUT: the 'close' that follows does the bookkeeping.
}
