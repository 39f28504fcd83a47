/**
 * Closing a connection with a TCP reset (RST) instead of a FIN. A response whose end is marked
 * only by the close (HTTP/1.0 or close-delimited, RFC 9112 §6.3 rule 8) looks complete to the
 * client after a FIN; after a reset the client knows it was cut (curl: "Connection reset by
 * peer"), so a partial body is never taken for the whole one.
 *
 * Node's resetAndDestroy() needs a plain TCP handle; a TLS socket's is not (and a runtime may lack
 * the method): there the socket is destroyed without close_notify, which TLS clients treat as a
 * truncation too (RFC 8446 §6.1).
 */
import type { Socket } from "node:net";

export function resetSocket(socket: Socket): void {
  if (typeof socket.resetAndDestroy === "function") {
    try {
      socket.resetAndDestroy();
      return;
    } catch {
      // not a TCP handle (TLS): destroy below
    }
  }
  socket.destroy();
}
