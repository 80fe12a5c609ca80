/** What a command gets besides its arguments. */
export interface CliContext {
  /** Aborts when the user interrupts (Ctrl-C, SIGTERM, a closed terminal); pass it to long-running work. */
  signal: AbortSignal;
}

/** One `haps` command: its name, its help, and what it does. main.ts lists them; a new command is one more entry. */
export interface CliCommand {
  /** The word after `haps`. */
  name: string;
  /** One line for `haps --help`. */
  summary: string;
  /** The usage line and the command's own options, for `haps <name> --help` (the common options are added). */
  usage: string;
  /** Runs the command with the arguments after its name; resolves with the exit code. */
  run(args: string[], context: CliContext): Promise<number>;
}
