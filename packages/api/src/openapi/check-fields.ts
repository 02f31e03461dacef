/**
 * Structural check of an object against its OpenAPI schema: fields the schema does not
 * declare (for fieldValidation=Strict|Warn) and values of the wrong JSON type.
 */
import { type FieldError, fieldErr } from '../errors';
import { INT_OR_STRING, QUANTITY, type Schema, loadSchemas, ownProp, resolveSchema, schemaNameFor } from './schemas';

export interface FieldCheckResult {
  /** Dotted paths of undeclared fields, as a strict decoding error prints them (`spec.containers[0].imagee`). */
  unknown: string[];
  /** Values of the wrong JSON type. */
  typeErrors: FieldError[];
}

export const MAX_DEPTH = 100;
/** At most this many unknown fields and this many type errors are reported. */
export const MAX_REPORTED = 100;

interface Frame {
  value: unknown;
  site: Schema;
  path: string;
  depth: number;
}

/**
 * Checks `obj` against the schema of `apiVersion`/`kind`. Missing fields (required or not)
 * are not reported; `null` stands for an absent value. Unknown kinds give an empty result.
 * Never throws: nesting beyond MAX_DEPTH is reported as `too deeply nested` and not entered.
 */
export function checkFields(apiVersion: string, kind: string, obj: unknown): FieldCheckResult {
  const name = schemaNameFor(apiVersion, kind);
  return name === undefined ? { unknown: [], typeErrors: [] } : checkFieldsForSchema(name, obj);
}

/** checkFields against any component schema (`io.k8s.api.core.v1.PodSpec`). */
export function checkFieldsForSchema(schemaName: string, obj: unknown): FieldCheckResult {
  const result: FieldCheckResult = { unknown: [], typeErrors: [] };
  try {
    const root = ownProp(loadSchemas() as Record<string, Schema>, schemaName);
    if (root) walk(obj, root, result);
  } catch {
    // A schema walk over JSON data should not fail; if it does, report what was found.
  }
  return result;
}

function walk(obj: unknown, root: Schema, result: FieldCheckResult): void {
  const schemas = loadSchemas();
  const stack: Frame[] = [{ value: obj, site: root, path: '', depth: 0 }];
  // Objects already walked: JSON data is a tree, but decoded YAML (aliases) or objects built in
  // code may share or cycle, which must not multiply the work.
  const seen = new Set<object>();
  const typeError = (path: string, value: unknown, expected: string): void => {
    if (result.typeErrors.length < MAX_REPORTED) {
      result.typeErrors.push(fieldErr.typeInvalid(path || '<root>', shown(value), `must be of type ${expected}`));
    }
  };
  while (stack.length > 0) {
    const frame = stack.pop() as Frame;
    const { value, path, depth } = frame;
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') {
      if (seen.has(value)) continue;
      seen.add(value);
    }
    const { schema, name } = resolveSchema(frame.site, schemas);

    if (name === INT_OR_STRING || name === QUANTITY || schema['x-kubernetes-int-or-string']) {
      const ok = typeof value === 'string' ||
        (typeof value === 'number' && (name !== INT_OR_STRING || Number.isInteger(value)));
      if (!ok) typeError(path, value, name === QUANTITY ? 'quantity (string or number)' : 'int-or-string (integer or string)');
      continue;
    }

    switch (schema.type) {
      case 'string':
        if (typeof value !== 'string') typeError(path, value, 'string');
        break;
      case 'boolean':
        if (typeof value !== 'boolean') typeError(path, value, 'boolean');
        break;
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) typeError(path, value, 'integer');
        break;
      case 'number':
        if (typeof value !== 'number') typeError(path, value, 'number');
        break;
      case 'array': {
        if (!Array.isArray(value)) { typeError(path, value, 'array'); break; }
        const items = schema.items;
        if (!items || value.length === 0) break;
        if (depth >= MAX_DEPTH) { tooDeep(result, path); break; }
        for (let i = value.length - 1; i >= 0; i--) {
          stack.push({ value: value[i], site: items, path: `${path}[${i}]`, depth: depth + 1 });
        }
        break;
      }
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value)) { typeError(path, value, 'object'); break; }
        const rec = value as Record<string, unknown>;
        const props = schema.properties;
        const additional = typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined;
        if (!props && !additional) break; // free-form (RawExtension, FieldsV1, Patch)
        const keys = Object.keys(rec);
        if (keys.length === 0) break;
        if (depth >= MAX_DEPTH) { tooDeep(result, path); break; }
        const children: Frame[] = [];
        for (const key of keys) {
          const prop = props ? ownProp(props, key) : undefined;
          if (prop) {
            children.push({ value: rec[key], site: prop, path: path ? `${path}.${key}` : key, depth: depth + 1 });
          } else if (additional && !props) {
            children.push({ value: rec[key], site: additional, path: `${path}[${key}]`, depth: depth + 1 });
          } else if (result.unknown.length < MAX_REPORTED) {
            result.unknown.push(path ? `${path}.${key}` : key);
          }
        }
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
        break;
      }
      default:
        break; // untyped: any JSON value
    }
  }
}

function tooDeep(result: FieldCheckResult, path: string): void {
  if (result.typeErrors.length < MAX_REPORTED) result.typeErrors.push(fieldErr.forbidden(path || '<root>', 'too deeply nested'));
}

/** A short stand-in for a value in an error message. */
function shown(value: unknown): unknown {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'object' && value !== null) return 'object';
  if (typeof value === 'string' && value.length > 64) return `${value.slice(0, 64)}...`;
  return value;
}
