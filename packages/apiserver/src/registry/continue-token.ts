import { StatusError } from '@skiff/api';

/** The opaque `continue` token of a paged list: the revision the list is read at and the next key. */
export interface ContinueToken {
  rv: number;
  start: string;
}

export function encodeContinue(t: ContinueToken): string {
  return Buffer.from(JSON.stringify({ v: 1, rv: t.rv, start: t.start })).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): ContinueToken {
  try {
    const raw = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: unknown; rv?: unknown; start?: unknown };
    if (raw.v === 1 && typeof raw.rv === 'number' && typeof raw.start === 'string' && raw.start.startsWith(prefix)) {
      return { rv: raw.rv, start: raw.start };
    }
  } catch {
    // fall through to the error below
  }
  throw StatusError.badRequest('continue key is not valid: the continue token is malformed or does not belong to this list');
}
