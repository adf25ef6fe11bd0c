/** One `herald` subcommand. */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  /** One line for `herald --help`. */
  summary: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(args: string[], io: CommandIo): Promise<number>;
}
