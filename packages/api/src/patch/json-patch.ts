/**
 * RFC 6902 JSON Patch (`application/json-patch+json`), as `kubectl rollout undo` and
 * `kubectl patch --type=json` send it.
 *
 * Errors follow the Kubernetes API server: a body that is not a list of operations is a
 * 400 BadRequest; an operation that cannot be applied (missing path, bad index, failing
 * `test`, unknown `op`) is a 422 Invalid; more than 10000 operations is a 413.
 */
import { StatusError } from '../errors';
import { cloneJson, describe, getOwn, hasOwn, isJsonObject, jsonEqual, setOwn } from './json-values';
import { parseArrayIndex, parsePointer } from './json-pointer';

export type JsonPatchOp = 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';

export interface JsonPatchOperation {
  op: JsonPatchOp;
  path: string;
  from?: string;
  value?: unknown;
}

/** Kubernetes refuses JSON patches with more operations than this. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const REJECTED = 'the server rejected our request due to an error in our request';

function unprocessable(detail: string, path?: string): StatusError {
  return new StatusError(422, 'Invalid', `${REJECTED}: ${detail}`, {
    causes: [{ reason: 'FieldValueInvalid', message: detail, ...(path !== undefined ? { field: path } : {}) }],
  });
}

/** Checks the shape of a JSON patch body and returns its operations. */
export function parseJsonPatch(ops: unknown): JsonPatchOperation[] {
  if (!Array.isArray(ops)) {
    throw StatusError.badRequest(`json: cannot unmarshal ${ops === null ? 'null' : typeof ops} into Go value of type jsonpatch.Patch: a JSON patch must be a list of operations`);
  }
  if (ops.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(413, 'RequestEntityTooLarge', `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${ops.length}`);
  }
  return ops.map((raw, i) => {
    if (!isJsonObject(raw)) throw StatusError.badRequest(`json patch operation ${i} must be an object, got ${describe(raw)}`);
    const op = getOwn(raw, 'op');
    const path = getOwn(raw, 'path');
    if (typeof op !== 'string') throw unprocessable(`operation ${i}: missing or invalid "op" in ${describe(raw)}`);
    if (!['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(op)) throw unprocessable(`Unexpected kind: ${op}`);
    if (typeof path !== 'string') throw unprocessable(`operation ${i} (${op}): missing or invalid "path" in ${describe(raw)}`);
    const out: JsonPatchOperation = { op: op as JsonPatchOp, path };
    if (op === 'move' || op === 'copy') {
      const from = getOwn(raw, 'from');
      if (typeof from !== 'string') throw unprocessable(`${op} operation: missing or invalid "from" in ${describe(raw)}`, path);
      out.from = from;
    }
    if (op === 'add' || op === 'replace' || op === 'test') {
      if (!hasOwn(raw, 'value')) throw unprocessable(`${op} operation: missing "value" in ${describe(raw)}`, path);
      out.value = raw.value;
    }
    return out;
  });
}

/** A mutable holder so that operations on the root (`""`) can replace the whole document. */
interface Root { doc: unknown }

function tokensOf(op: string, pointer: string): string[] {
  const tokens = parsePointer(pointer);
  if (!tokens) throw unprocessable(`${op} operation does not apply: invalid JSON pointer ${JSON.stringify(pointer)}`, pointer);
  return tokens;
}

/** The container that holds the last token of `tokens`, or undefined when a step is missing. */
function parentOf(root: Root, tokens: readonly string[]): unknown {
  let cur: unknown = root.doc;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] as string;
    if (Array.isArray(cur)) {
      const idx = parseArrayIndex(t);
      if (idx === undefined || idx >= cur.length) return undefined;
      cur = cur[idx];
    } else if (isJsonObject(cur)) {
      if (!hasOwn(cur, t)) return undefined;
      cur = cur[t];
    } else {
      return undefined;
    }
  }
  return cur;
}

type Lookup = { found: true; value: unknown } | { found: false; parentFound: boolean };

function lookup(root: Root, tokens: readonly string[]): Lookup {
  if (tokens.length === 0) return { found: true, value: root.doc };
  const parent = parentOf(root, tokens);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    const idx = parseArrayIndex(last);
    if (idx === undefined || idx >= parent.length) return { found: false, parentFound: true };
    return { found: true, value: parent[idx] };
  }
  if (isJsonObject(parent)) {
    return hasOwn(parent, last) ? { found: true, value: parent[last] } : { found: false, parentFound: true };
  }
  return { found: false, parentFound: false };
}

function doAdd(root: Root, pointer: string, tokens: readonly string[], value: unknown, opName: string): void {
  if (tokens.length === 0) {
    root.doc = value;
    return;
  }
  const parent = parentOf(root, tokens);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    if (last === '-') {
      parent.push(value);
      return;
    }
    const idx = parseArrayIndex(last);
    if (idx === undefined || idx > parent.length) {
      throw unprocessable(`${opName} operation does not apply: Unable to access invalid index: ${last}: invalid index referenced at ${pointer}`, pointer);
    }
    parent.splice(idx, 0, value);
    return;
  }
  if (isJsonObject(parent)) {
    setOwn(parent, last, value);
    return;
  }
  throw unprocessable(`${opName} operation does not apply: doc is missing path: "${pointer}": missing value`, pointer);
}

function doRemove(root: Root, pointer: string, tokens: readonly string[], opName: string): unknown {
  if (tokens.length === 0) throw unprocessable(`${opName} operation does not apply: cannot remove the whole document`, pointer);
  const parent = parentOf(root, tokens);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    const idx = parseArrayIndex(last);
    if (idx === undefined || idx >= parent.length) {
      throw unprocessable(`${opName} operation does not apply: Unable to access invalid index: ${last}: invalid index referenced at ${pointer}`, pointer);
    }
    return parent.splice(idx, 1)[0];
  }
  if (isJsonObject(parent)) {
    if (!hasOwn(parent, last)) throw unprocessable(`${opName} operation does not apply: Unable to remove nonexistent key: ${last}: missing value at ${pointer}`, pointer);
    const v = parent[last];
    delete parent[last];
    return v;
  }
  throw unprocessable(`${opName} operation does not apply: doc is missing path: "${pointer}": missing value`, pointer);
}

function doReplace(root: Root, pointer: string, tokens: readonly string[], value: unknown): void {
  if (tokens.length === 0) {
    root.doc = value;
    return;
  }
  const parent = parentOf(root, tokens);
  const last = tokens[tokens.length - 1] as string;
  if (Array.isArray(parent)) {
    const idx = parseArrayIndex(last);
    if (idx === undefined || idx >= parent.length) {
      throw unprocessable(`replace operation does not apply: Unable to access invalid index: ${last}: invalid index referenced at ${pointer}`, pointer);
    }
    parent[idx] = value;
    return;
  }
  if (isJsonObject(parent) && hasOwn(parent, last)) {
    setOwn(parent, last, value);
    return;
  }
  throw unprocessable(`replace operation does not apply: doc is missing key: ${pointer}: missing value`, pointer);
}

function applyOne(root: Root, op: JsonPatchOperation): void {
  const tokens = tokensOf(op.op, op.path);
  switch (op.op) {
    case 'add':
      doAdd(root, op.path, tokens, cloneJson(op.value), 'add');
      return;
    case 'remove':
      doRemove(root, op.path, tokens, 'remove');
      return;
    case 'replace':
      doReplace(root, op.path, tokens, cloneJson(op.value));
      return;
    case 'move': {
      const from = op.from as string;
      const fromTokens = tokensOf('move', from);
      if (from === op.path) {
        if (!lookup(root, fromTokens).found) throw unprocessable(`move operation does not apply: doc is missing from path: "${from}": missing value`, from);
        return;
      }
      if (op.path.startsWith(`${from}/`)) throw unprocessable(`move operation does not apply: "from" ${from} is a prefix of "path" ${op.path}`, op.path);
      if (!lookup(root, fromTokens).found) throw unprocessable(`move operation does not apply: doc is missing from path: "${from}": missing value`, from);
      const value = doRemove(root, from, fromTokens, 'move');
      doAdd(root, op.path, tokens, value, 'move');
      return;
    }
    case 'copy': {
      const from = op.from as string;
      const src = lookup(root, tokensOf('copy', from));
      if (!src.found) throw unprocessable(`copy operation does not apply: doc is missing from path: "${from}": missing value`, from);
      doAdd(root, op.path, tokens, cloneJson(src.value), 'copy');
      return;
    }
    case 'test': {
      const cur = lookup(root, tokens);
      if (cur.found) {
        if (jsonEqual(cur.value, op.value)) return;
      } else if (cur.parentFound && op.value === null) {
        // Like the API server's JSON patch library: a missing key equals null.
        return;
      } else if (!cur.parentFound) {
        throw unprocessable(`test operation does not apply: is missing path: ${op.path}: missing value`, op.path);
      }
      throw unprocessable(`testing value ${op.path} failed: test failed`, op.path);
    }
  }
}

/**
 * Applies an RFC 6902 JSON patch and returns the new document; `doc` is never mutated.
 * Throws StatusError (400 for a malformed body, 422 when an operation fails, 413 when too long).
 */
export function applyJsonPatch<T = unknown>(doc: T, ops: unknown): T {
  const operations = parseJsonPatch(ops);
  const root: Root = { doc: cloneJson(doc) };
  for (const op of operations) applyOne(root, op);
  return root.doc as T;
}

