/** An error whose message is printed to stderr as-is (it already has kubectl's wording). */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
  }
}

/** `error: <msg>` as kubectl prints plain errors. */
export function cliError(msg: string): CliError {
  return new CliError(msg.startsWith('error: ') ? msg : `error: ${msg}`);
}
