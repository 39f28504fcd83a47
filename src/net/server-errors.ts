/**
 * Errors of a listening socket after it is bound, shared by the HTTP and echo servers. Such an
 * error is an accept(2) failure (EMFILE or ENFILE: out of file descriptors; ENOMEM...): it
 * concerns one connection attempt, and the server keeps accepting (libuv retries), so it is
 * reported and survived, never swallowed (a server that silently stops getting connections
 * looks alive and says nothing) and never fatal (Go's "http: Accept error: ...; retrying").
 * EMFILE and ENFILE never get here: libuv answers them itself, accepting the waiting connection
 * on a reserved descriptor and closing it (its "emfile trick"), without an error event.
 */

/** The default onServerError: one line per error on stderr, naming the server. */
export function reportServerError(server: string): (err: Error) => void {
  return (err) => {
    const { code } = err as NodeJS.ErrnoException;
    const why = code ?? (err.message.split("\n")[0] || "unknown error");
    process.stderr.write(
      `tcpkit: ${server}: cannot accept a connection (${why}); still accepting\n`,
    );
  };
}
