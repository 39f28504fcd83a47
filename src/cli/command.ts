/** The shape every subcommand module exports. */
export interface Command {
  readonly name: string;
  /** One line for `tcpkit --help`. */
  readonly summary: string;
  /** Full text for `tcpkit NAME --help`. */
  readonly help: string;
  /** Runs the command; resolves with the process exit code. Throws UsageError for bad flags. */
  run(argv: string[]): Promise<number>;
}
