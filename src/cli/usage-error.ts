/** A mistake in how the command was called: reported on one stderr line, exit code 2. */
export class UsageError extends Error {
  /**
   * Whether the line ends with "(see 'tcpkit CMD --help')"; false when the message already says
   * what to type ("did you mean --port?").
   */
  readonly seeHelp: boolean;

  constructor(message: string, options: { seeHelp?: boolean } = {}) {
    super(message);
    this.name = "UsageError";
    this.seeHelp = options.seeHelp ?? true;
  }
}

/** Exit codes shared by every command (DESIGN §7). `get` adds 3 for HTTP statuses >= 400. */
export const EXIT_OK = 0;
/** A runtime failure: network, file, protocol or listen error. */
export const EXIT_FAILURE = 1;
/** A usage error: bad flags or arguments. */
export const EXIT_USAGE = 2;
