/** ConfigMap and Secret validation: keys, the 1 MiB size limit, Secret types, immutability. */
import { deepEqual, type JsonObject } from '../object';
import { forbidden, IMMUTABLE, invalid, keyPath, required, tooLong } from './field-errors';
import { isConfigMapKey, nameIsDNSSubdomain } from './name-rules';
import { validateObjectMeta, validateObjectMetaUpdate } from './object-meta';
import { peek, type Reader } from './typed-read';

export const MAX_SECRET_SIZE = 1024 * 1024;

/** The decoded length of standard base64, or the Go decoder's complaint. */
function base64Length(s: string): { length: number } | { error: string } {
  const bad = s.search(/[^A-Za-z0-9+/=]/);
  if (bad >= 0) return { error: `illegal base64 data at input byte ${bad}` };
  if (s.length % 4 !== 0) return { error: `illegal base64 data at input byte ${s.length - (s.length % 4)}` };
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const firstPad = s.indexOf('=');
  if (firstPad >= 0 && firstPad < s.length - pad) return { error: `illegal base64 data at input byte ${firstPad}` };
  return { length: (s.length / 4) * 3 - pad };
}

function decode(s: string): string {
  return Buffer.from(s, 'base64').toString('utf8');
}

function validateKeys(r: Reader, map: JsonObject | undefined, path: string): void {
  for (const k of Object.keys(map ?? {})) for (const m of isConfigMapKey(k)) r.add(invalid(keyPath(path, k), k, m));
}

/** Sizes of a map of base64 values (Secret.data, ConfigMap.binaryData); reports undecodable values. */
function binarySize(r: Reader, map: JsonObject | undefined, path: string): number {
  let total = 0;
  for (const [k, v] of Object.entries(map ?? {})) {
    const s = r.str(v, keyPath(path, k));
    if (s === undefined) continue;
    const n = base64Length(s);
    if ('error' in n) r.add(invalid(keyPath(path, k), '<value omitted>', n.error));
    else total += n.length;
  }
  return total;
}

export function validateConfigMap(r: Reader, cm: JsonObject): void {
  validateObjectMeta(r, cm.metadata, 'metadata', nameIsDNSSubdomain);
  const data = r.obj(cm.data, 'data');
  const binary = r.obj(cm.binaryData, 'binaryData');
  let total = 0;
  for (const [k, v] of Object.entries(data ?? {})) {
    for (const m of isConfigMapKey(k)) r.add(invalid(keyPath('data', k), k, m));
    if (binary && k in binary) r.add(invalid(keyPath('data', k), k, 'duplicate of key present in binaryData'));
    const s = r.str(v, keyPath('data', k));
    if (s !== undefined) total += Buffer.byteLength(s);
  }
  validateKeys(r, binary, 'binaryData');
  total += binarySize(r, binary, 'binaryData');
  r.bool(cm.immutable, 'immutable');
  // Kubernetes reports the whole object's size at the empty path, which prints as `[]`.
  if (total > MAX_SECRET_SIZE) r.add(tooLong('[]', MAX_SECRET_SIZE));
}

function immutableContents(r: Reader, obj: JsonObject, old: JsonObject, fields: string[]): void {
  if (old.immutable !== true) return;
  if (obj.immutable !== true) r.add(forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!deepEqual(obj[f] ?? {}, old[f] ?? {})) r.add(forbidden(f, 'field is immutable when `immutable` is set'));
}

export function validateConfigMapUpdate(r: Reader, cm: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, cm.metadata, old.metadata, 'metadata');
  immutableContents(r, cm, old, ['data', 'binaryData']);
  validateConfigMap(r, cm);
}

export function validateSecret(r: Reader, secret: JsonObject): void {
  validateObjectMeta(r, secret.metadata, 'metadata', nameIsDNSSubdomain);
  const data = r.obj(secret.data, 'data');
  validateKeys(r, data, 'data');
  const total = binarySize(r, data, 'data');
  if (total > MAX_SECRET_SIZE) r.add(tooLong('data', MAX_SECRET_SIZE));
  r.bool(secret.immutable, 'immutable');
  const type = r.str(secret.type, 'type') ?? '';
  const has = (k: string): boolean => data !== undefined && data[k] !== undefined && data[k] !== null;
  const json = (k: string): void => {
    if (!has(k)) { r.add(required(keyPath('data', k))); return; }
    const raw = peek.str(data?.[k]);
    if (raw === undefined) return;
    try {
      const v: unknown = JSON.parse(decode(raw));
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
    } catch (e) {
      r.add(invalid(keyPath('data', k), '<secret contents redacted>', (e as Error).message));
    }
  };
  switch (type) {
    case 'kubernetes.io/service-account-token': {
      const annotations = peek.strMap(peek.obj(secret.metadata)?.annotations) ?? {};
      if (!annotations['kubernetes.io/service-account.name']) r.add(required(keyPath('metadata.annotations', 'kubernetes.io/service-account.name')));
      break;
    }
    case 'kubernetes.io/dockercfg':
      json('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      json('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        r.add(required(keyPath('data', 'username')));
        r.add(required(keyPath('data', 'password')));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (!peek.str(data?.['ssh-privatekey'])) r.add(required(keyPath('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) r.add(required(keyPath('data', 'tls.crt')));
      if (!has('tls.key')) r.add(required(keyPath('data', 'tls.key')));
      break;
    default:
      break;
  }
}

export function validateSecretUpdate(r: Reader, secret: JsonObject, old: JsonObject): void {
  validateObjectMetaUpdate(r, secret.metadata, old.metadata, 'metadata');
  const type = peek.str(secret.type) ?? '';
  const oldType = peek.str(old.type) ?? '';
  if (type !== oldType) r.add(invalid('type', type, IMMUTABLE));
  immutableContents(r, secret, old, ['data']);
  validateSecret(r, secret);
}
