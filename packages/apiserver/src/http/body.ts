import type { Request } from 'express';
import { parse as parseYaml } from 'yaml';
import { StatusError, isPlainObject } from '@skiff/api';
import { decodeK8sProtobuf, isK8sProtobuf } from '../protobuf';

/** Kubernetes refuses request bodies over 3 MiB. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** Deeper nesting than this is refused before any further processing. */
const MAX_DEPTH = 100;

export async function readRawBody(req: Request): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    req.resume();
    throw StatusError.tooLarge(MAX_BODY_BYTES);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      req.resume();
      throw StatusError.tooLarge(MAX_BODY_BYTES);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: Request): string {
  return String(req.headers['content-type'] ?? 'application/json').split(';')[0]!.trim().toLowerCase();
}

function checkDepth(v: unknown, depth = 0): void {
  if (depth > MAX_DEPTH) throw StatusError.badRequest(`the request body is nested more than ${MAX_DEPTH} levels deep`);
  if (Array.isArray(v)) for (const x of v) checkDepth(x, depth + 1);
  else if (isPlainObject(v)) for (const x of Object.values(v)) checkDepth(x, depth + 1);
}

/** Depth check that does not recurse on the JS stack for the parse itself: counts brackets. */
function jsonNestingTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) { if (++depth > MAX_DEPTH) return true; }
    else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export interface DecodedBody {
  value: unknown;
  mediaType: string;
}

/** Decodes a request body as JSON, YAML or Kubernetes protobuf; every failure is a 4xx Status. */
export async function decodeBody(req: Request): Promise<DecodedBody> {
  const raw = await readRawBody(req);
  const type = mediaType(req);
  if (isK8sProtobuf(type)) {
    try {
      return { value: decodeK8sProtobuf(raw).object, mediaType: type };
    } catch (e) {
      if (e instanceof StatusError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      if (/unknown kind|not supported|no message type/i.test(msg)) throw StatusError.unsupportedMediaType(`${type}: ${msg}`);
      throw StatusError.badRequest(`failed to decode protobuf body: ${msg}`);
    }
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return { value: undefined, mediaType: type };
  if (type.endsWith('json') || type === 'application/apply-patch+yaml' || type.endsWith('yaml') || type === 'text/plain' || type === '*/*') {
    if (jsonNestingTooDeep(text)) throw StatusError.badRequest(`the request body is nested more than ${MAX_DEPTH} levels deep`);
    try {
      return { value: JSON.parse(text) as unknown, mediaType: type };
    } catch (jsonErr) {
      if (!type.includes('yaml')) {
        throw StatusError.badRequest(`the body of the request could not be decoded as JSON: ${(jsonErr as Error).message}`);
      }
    }
    try {
      const value = parseYaml(text, { maxAliasCount: 100, uniqueKeys: false }) as unknown;
      checkDepth(value);
      return { value, mediaType: type };
    } catch (e) {
      if (e instanceof StatusError) throw e;
      throw StatusError.badRequest(`the body of the request could not be decoded as YAML: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw StatusError.unsupportedMediaType(type);
}

export function patchTypeOf(req: Request): 'json' | 'merge' | 'strategic' | 'apply' {
  switch (mediaType(req)) {
    case 'application/json-patch+json': return 'json';
    case 'application/merge-patch+json': return 'merge';
    case 'application/strategic-merge-patch+json': return 'strategic';
    case 'application/apply-patch+yaml': return 'apply';
    default: throw new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`);
  }
}

/** The Accept header asks for a server-side Table. */
export function wantsTable(req: Request): boolean {
  const accept = String(req.headers.accept ?? '');
  return accept.split(',').some((a) => a.includes('as=Table'));
}
