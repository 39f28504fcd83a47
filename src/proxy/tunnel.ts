/**
 * The byte tunnel after a 101 (RFC 9110 §7.8: WebSocket, h2c, anything else an Upgrade names):
 * the client's socket and the back end's joined both ways with pipe() (each side read only as
 * fast as the other writes), a half-close passed on as a half-close, and when either side
 * closes or fails, both close. A graceful stop of the server ends both sides.
 */
import type { Socket } from "node:net";

/** Joins `client` (with the bytes it sent after its request) and `upstream` (with its own). */
export function tunnel(
  client: Socket,
  clientBuffered: Buffer,
  upstream: Socket,
  upstreamBuffered: Buffer,
  draining: AbortSignal,
): void {
  const closeBoth = (): void => {
    draining.removeEventListener("abort", endBoth);
    client.destroy();
    upstream.destroy();
  };
  const endBoth = (): void => {
    client.end();
    upstream.end();
  };
  // The back end's socket was dialled as a client's, which ends its own side when the peer's FIN
  // comes: the back end's half-close would then close the tunnel both ways (its 'close' below)
  // before the client had said all it has to say. The client's socket is already half-open.
  upstream.allowHalfOpen = true;
  client.on("error", closeBoth);
  upstream.on("error", closeBoth);
  client.once("close", closeBoth);
  upstream.once("close", closeBoth);
  if (client.destroyed || upstream.destroyed) return closeBoth();
  if (clientBuffered.length > 0) upstream.write(clientBuffered);
  if (upstreamBuffered.length > 0) client.write(upstreamBuffered);
  client.pipe(upstream);
  upstream.pipe(client);
  upstream.resume();
  client.resume();
  if (draining.aborted) endBoth();
  else draining.addEventListener("abort", endBoth, { once: true });
}
