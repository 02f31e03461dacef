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

/** One error of a multi-object command (create -f, delete -l, ...). */
export type ItemError = { api: import('./client').ApiError } | { plain: string };

/**
 * kubectl's checkErr for an aggregate: a single error is printed as on its own (Invalid
 * from its details, plain ones with `error: `); several are printed one per line through
 * StandardErrorMessage, plain ones without a prefix.
 */
export function aggregateError(errs: ItemError[]): CliError {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { formatApiError, standardApiMessage } = require('./client') as typeof import('./client');
  if (errs.length === 1) {
    const e = errs[0] as ItemError;
    if ('api' in e) return new CliError(formatApiError(e.api));
    return cliError(e.plain);
  }
  return new CliError(errs.map((e) => ('api' in e ? standardApiMessage(e.api) : e.plain)).join('\n'));
}
