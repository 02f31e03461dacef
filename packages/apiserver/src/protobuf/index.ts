/**
 * Kubernetes protobuf request bodies (`Content-Type: application/vnd.kubernetes.protobuf`).
 *
 * kubectl 1.32+ sends the bodies of `create <generator>`, `auth can-i` and `auth whoami` as
 * protobuf: the 4 bytes `k8s\0`, then a `runtime.Unknown` envelope whose `raw` field holds the
 * object encoded with the k8s.io/api `generated.proto` messages. This module decodes such a
 * body with protobufjs, using the schemas in `<repo>/proto/k8s/*.proto`, and converts it to the
 * object the same client would have sent as JSON. Everything after this point works on JSON.
 *
 * Errors are `StatusError`s: 415 UnsupportedMediaType for a kind we have no schema for (naming
 * the kind), 400 BadRequest for anything malformed. Garbage never escapes as another error type.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as protobuf from 'protobufjs';
import { StatusError } from '@skiff/api';

export const K8S_PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';
/** `k8s\0`, in front of every Kubernetes protobuf body. */
export const K8S_PROTOBUF_MAGIC: Readonly<Buffer> = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

export interface DecodedK8sObject {
  apiVersion: string;
  kind: string;
  /** The Kubernetes JSON form, with `apiVersion` and `kind` set (as a JSON client sends them). */
  object: Record<string, unknown>;
}

/** 400 BadRequest: the body is not a well-formed Kubernetes protobuf message. */
export class K8sProtobufDecodeError extends StatusError {
  constructor(message: string) {
    super(400, 'BadRequest', `failed to decode protobuf body: ${message}`);
    this.name = 'K8sProtobufDecodeError';
  }
}

/** 415 UnsupportedMediaType: the envelope names a kind we have no protobuf schema for. */
export class K8sProtobufUnsupportedKindError extends StatusError {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - protobuf is not supported for kind "${kind}" ` +
        `(apiVersion "${apiVersion}"); send it as application/json`,
    );
    this.name = 'K8sProtobufUnsupportedKindError';
  }
}

/** True when the Content-Type (parameters ignored, any case) is Kubernetes protobuf. */
export function isK8sProtobuf(contentType: string | readonly string[] | null | undefined): boolean {
  const value = Array.isArray(contentType) ? contentType[0] : contentType;
  if (typeof value !== 'string') return false;
  return (value.split(';')[0] ?? '').trim().toLowerCase() === K8S_PROTOBUF_MEDIA_TYPE;
}

// ---------------------------------------------------------------------------------------------
// Registry: (apiVersion, kind) -> message type

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const CORE = 'k8s.io.api.core.v1';

const KINDS: Readonly<Record<string, string>> = {
  'v1/ConfigMap': `${CORE}.ConfigMap`,
  'v1/Secret': `${CORE}.Secret`,
  'v1/Namespace': `${CORE}.Namespace`,
  'v1/Service': `${CORE}.Service`,
  'v1/Pod': `${CORE}.Pod`,
  'v1/PodTemplate': `${CORE}.PodTemplate`,
  'v1/ServiceAccount': `${CORE}.ServiceAccount`,
  'v1/ResourceQuota': `${CORE}.ResourceQuota`,
  'apps/v1/Deployment': 'k8s.io.api.apps.v1.Deployment',
  'batch/v1/Job': 'k8s.io.api.batch.v1.Job',
  'batch/v1/CronJob': 'k8s.io.api.batch.v1.CronJob',
  'authorization.k8s.io/v1/SelfSubjectAccessReview': 'k8s.io.api.authorization.v1.SelfSubjectAccessReview',
  'authorization.k8s.io/v1/SelfSubjectRulesReview': 'k8s.io.api.authorization.v1.SelfSubjectRulesReview',
  'authorization.k8s.io/v1/SubjectAccessReview': 'k8s.io.api.authorization.v1.SubjectAccessReview',
  'authorization.k8s.io/v1/LocalSubjectAccessReview': 'k8s.io.api.authorization.v1.LocalSubjectAccessReview',
  'authentication.k8s.io/v1/SelfSubjectReview': 'k8s.io.api.authentication.v1.SelfSubjectReview',
  'authentication.k8s.io/v1/TokenRequest': 'k8s.io.api.authentication.v1.TokenRequest',
  'authentication.k8s.io/v1/TokenReview': 'k8s.io.api.authentication.v1.TokenReview',
  'policy/v1/Eviction': 'k8s.io.api.policy.v1.Eviction',
  'policy/v1beta1/Eviction': 'k8s.io.api.policy.v1.Eviction',
  'policy/v1/PodDisruptionBudget': 'k8s.io.api.policy.v1.PodDisruptionBudget',
  'rbac.authorization.k8s.io/v1/Role': 'k8s.io.api.rbac.v1.Role',
  'rbac.authorization.k8s.io/v1/ClusterRole': 'k8s.io.api.rbac.v1.ClusterRole',
  'rbac.authorization.k8s.io/v1/RoleBinding': 'k8s.io.api.rbac.v1.RoleBinding',
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': 'k8s.io.api.rbac.v1.ClusterRoleBinding',
  'scheduling.k8s.io/v1/PriorityClass': 'k8s.io.api.scheduling.v1.PriorityClass',
  'networking.k8s.io/v1/Ingress': 'k8s.io.api.networking.v1.Ingress',
  'autoscaling/v1/HorizontalPodAutoscaler': 'k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler',
};

/** The protobuf message type for (apiVersion, kind), or undefined when unsupported. */
export function protobufMessageTypeFor(apiVersion: string, kind: string): string | undefined {
  // DeleteOptions is registered in every group-version; its encoding is always meta/v1's.
  if (kind === 'DeleteOptions') return `${META}.DeleteOptions`;
  return Object.prototype.hasOwnProperty.call(KINDS, `${apiVersion}/${kind}`) ? KINDS[`${apiVersion}/${kind}`] : undefined;
}

/** Every (apiVersion, kind) the decoder accepts (plus DeleteOptions in any group-version). */
export function supportedProtobufKinds(): Array<{ apiVersion: string; kind: string }> {
  return Object.keys(KINDS).map((k) => {
    const i = k.lastIndexOf('/');
    return { apiVersion: k.slice(0, i), kind: k.slice(i + 1) };
  });
}

// ---------------------------------------------------------------------------------------------
// Schema loading

let cachedDir: string | undefined;
let cachedRoot: protobuf.Root | undefined;

/**
 * The folder holding the .proto files: `$SKIFF_K8S_PROTO_DIR`, else `<repo>/proto/k8s` found by
 * walking up from this file (dist/protobuf and src/protobuf are both four levels below the repo).
 */
export function k8sProtoDir(): string {
  if (cachedDir) return cachedDir;
  const fromEnv = process.env['SKIFF_K8S_PROTO_DIR'];
  const candidates: string[] = fromEnv ? [path.resolve(fromEnv)] : [];
  for (let dir = __dirname, i = 0; i < 8; i++) {
    candidates.push(path.join(dir, 'proto', 'k8s'));
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'core.proto')));
  if (!found) throw new Error(`Kubernetes .proto files not found (looked in ${candidates.join(', ')})`);
  cachedDir = found;
  return found;
}

/** The protobufjs Root with every schema in k8sProtoDir(), loaded once on first use. */
export function loadK8sProtoRoot(): protobuf.Root {
  if (cachedRoot) return cachedRoot;
  const dir = k8sProtoDir();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.proto')).sort().map((f) => path.join(dir, f));
  const root = new protobuf.Root();
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  cachedRoot = root;
  return root;
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** Wraps an encoded object in the `k8s\0` + runtime.Unknown envelope (the inverse of the decoder's first step). */
export function wrapK8sProtobuf(apiVersion: string, kind: string, raw: Uint8Array): Buffer {
  const Unknown = loadK8sProtoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');
  const envelope = Unknown.encode(Unknown.create({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' })).finish();
  return Buffer.concat([K8S_PROTOBUF_MAGIC, envelope]);
}

/**
 * Decodes a Kubernetes protobuf request body into its JSON form.
 * Throws K8sProtobufUnsupportedKindError (415) or K8sProtobufDecodeError (400).
 */
export function decodeK8sProtobuf(body: Buffer | Uint8Array): DecodedK8sObject {
  let root: protobuf.Root;
  try {
    root = loadK8sProtoRoot();
  } catch (e) {
    // a missing or broken schema is a server bug, not a client error
    throw StatusError.internal(`cannot load the Kubernetes protobuf schemas: ${errorText(e)}`);
  }
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length < K8S_PROTOBUF_MAGIC.length || !bytes.subarray(0, 4).equals(K8S_PROTOBUF_MAGIC)) {
    throw new K8sProtobufDecodeError('the body does not start with the Kubernetes protobuf prefix "k8s\\x00"');
  }
  let envelope: protobuf.Message;
  try {
    envelope = root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown').decode(bytes.subarray(4));
  } catch (e) {
    throw new K8sProtobufDecodeError(`malformed runtime.Unknown envelope: ${errorText(e)}`);
  }
  const env = envelope as unknown as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
    contentEncoding?: string;
    contentType?: string;
  };
  const apiVersion = env.typeMeta?.apiVersion ?? '';
  const kind = env.typeMeta?.kind ?? '';
  if (!kind || !apiVersion) throw new K8sProtobufDecodeError('the envelope has no apiVersion or kind');
  if (env.contentEncoding) throw new K8sProtobufDecodeError(`unsupported contentEncoding "${env.contentEncoding}"`);
  const raw = env.raw ?? new Uint8Array(0);

  let object: Record<string, unknown>;
  if (env.contentType && !isK8sProtobuf(env.contentType)) {
    // An envelope may carry another encoding; JSON is the only other one worth accepting.
    if ((env.contentType.split(';')[0] ?? '').trim().toLowerCase() !== 'application/json') {
      throw new K8sProtobufDecodeError(`unsupported contentType "${env.contentType}" inside the envelope`);
    }
    const parsed = parseJSON(raw, 'raw');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new K8sProtobufDecodeError('raw JSON is not an object');
    object = parsed as Record<string, unknown>;
  } else {
    const typeName = protobufMessageTypeFor(apiVersion, kind);
    if (!typeName) throw new K8sProtobufUnsupportedKindError(apiVersion, kind);
    object = decodeK8sMessage(typeName, raw) as Record<string, unknown>;
  }
  return { apiVersion, kind, object: { apiVersion, kind, ...withoutTypeMeta(object) } };
}

/**
 * Decodes one message of the given type (e.g. `k8s.io.api.core.v1.PodSpec`) from its protobuf
 * bytes, without envelope, into its Kubernetes JSON form. Throws K8sProtobufDecodeError (400).
 */
export function decodeK8sMessage(typeName: string, raw: Uint8Array): unknown {
  const type = loadK8sProtoRoot().lookupType(typeName);
  let message: protobuf.Message;
  try {
    message = type.decode(raw);
  } catch (e) {
    throw new K8sProtobufDecodeError(`malformed ${type.name}: ${errorText(e)}`);
  }
  try {
    return messageToJSON(type, message, 0);
  } catch (e) {
    if (e instanceof StatusError) throw e;
    throw new K8sProtobufDecodeError(`malformed ${type.name}: ${errorText(e)}`);
  }
}

function withoutTypeMeta(o: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function errorText(e: unknown): string {
  if (e instanceof RangeError && /call stack/i.test(e.message)) return 'nested too deeply';
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Protobuf message -> Kubernetes JSON

const MAX_DEPTH = 100;
const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

type Special = (msg: Record<string, unknown>) => unknown;

const SPECIAL: Readonly<Record<string, Special>> = {
  [`.${META}.Time`]: (m) => timeToJSON(m, false),
  [`.${META}.MicroTime`]: (m) => timeToJSON(m, true),
  [`.${META}.Duration`]: (m) => formatDuration(toBigInt(m['duration'] ?? 0)),
  [`.${META}.FieldsV1`]: (m) => (m['Raw'] instanceof Uint8Array ? parseJSON(m['Raw'], 'fieldsV1') : null),
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': (m) => (m['raw'] instanceof Uint8Array && m['raw'].length ? parseJSON(m['raw'], 'raw extension') : null),
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': (m) =>
    Number(toBigInt(m['type'] ?? 0)) === 1 ? String(m['strVal'] ?? '') : Number(m['intVal'] ?? 0),
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': (m) => (hasOwn(m, 'string') ? String(m['string']) : '0'),
  '.k8s.io.api.authorization.v1.ExtraValue': (m) => [...((m['items'] as string[] | undefined) ?? [])],
  '.k8s.io.api.authentication.v1.ExtraValue': (m) => [...((m['items'] as string[] | undefined) ?? [])],
};

function messageToJSON(type: protobuf.Type, msg: protobuf.Message | Record<string, unknown>, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new K8sProtobufDecodeError(`the object is nested more than ${MAX_DEPTH} levels deep`);
  const m = msg as Record<string, unknown>;
  const special = SPECIAL[type.fullName];
  if (special) return special(m);
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!hasOwn(m, field.name)) continue;
    const value = m[field.name];
    if (value === undefined || value === null) continue;
    const options = field.options ?? {};
    const jsonName = typeof options['json_name'] === 'string' ? (options['json_name'] as string) : field.name;
    if (field instanceof protobuf.MapField) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      const map: Record<string, unknown> = {};
      for (const [k, v] of entries) {
        // defineProperty: a key such as "__proto__" stays a plain own property, as JSON.parse makes it
        Object.defineProperty(map, k, { value: valueToJSON(field, v, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      out[jsonName] = map;
    } else if (field.repeated) {
      const items = value as unknown[];
      if (!Array.isArray(items) || items.length === 0) continue;
      out[jsonName] = items.map((v) => valueToJSON(field, v, depth + 1));
    } else if (field.resolvedType instanceof protobuf.Type) {
      const converted = messageToJSON(field.resolvedType, value as protobuf.Message, depth + 1);
      if (options['(inline)'] === true && converted && typeof converted === 'object' && !Array.isArray(converted)) {
        Object.assign(out, converted);
      } else {
        out[jsonName] = converted;
      }
    } else {
      const converted = scalarToJSON(field.type, value);
      if (options['(keep_zero)'] !== true && (converted === 0 || converted === '' || converted === false)) continue;
      out[jsonName] = converted;
    }
  }
  return out;
}

function valueToJSON(field: protobuf.Field, value: unknown, depth: number): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageToJSON(field.resolvedType, value as protobuf.Message, depth);
  return scalarToJSON(field.type, value);
}

function scalarToJSON(type: string, value: unknown): unknown {
  switch (type) {
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return Number(toBigInt(value));
    case 'bytes':
      return value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') : '';
    case 'double': case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? value : 0;
    default:
      return value;
  }
}

/** protobufjs yields int64 as a Long (when the long package is present) or a number. */
function toBigInt(v: unknown): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? BigInt(Math.trunc(v)) : 0n;
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? BigInt(v) : 0n;
  if (v && typeof v === 'object' && typeof (v as { toString: unknown }).toString === 'function') {
    const s = String(v);
    if (/^-?\d+$/.test(s)) return BigInt(s);
  }
  return 0n;
}

function parseJSON(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as unknown;
  } catch (e) {
    throw new K8sProtobufDecodeError(`${what} is not valid JSON: ${errorText(e)}`);
  }
}

/** Go's zero time.Time (January 1, year 1, UTC) in Unix seconds; it marshals as null. */
const GO_ZERO_TIME_SECONDS = -62_135_596_800n;

/** A Time / MicroTime message: absent seconds (Go writes nothing for the zero time) -> null. */
function timeToJSON(m: Record<string, unknown>, micro: boolean): string | null {
  if (!hasOwn(m, 'seconds')) return null;
  const seconds = toBigInt(m['seconds']);
  const nanos = micro ? Number(m['nanos'] ?? 0) : 0;
  if (seconds === GO_ZERO_TIME_SECONDS && nanos === 0) return null;
  return formatTime(seconds, nanos, micro);
}

/** Largest |seconds| a JS Date can hold. */
const MAX_DATE_SECONDS = 8_640_000_000_000n;

/** metav1.Time is RFC 3339 in UTC with whole seconds; MicroTime adds six fractional digits. */
function formatTime(seconds: bigint, nanos: number, micro: boolean): string {
  if (seconds > MAX_DATE_SECONDS || seconds < -MAX_DATE_SECONDS) throw new K8sProtobufDecodeError(`timestamp ${seconds} is out of range`);
  const iso = new Date(Number(seconds) * 1000).toISOString(); // yyyy-mm-ddThh:mm:ss.000Z
  const base = iso.slice(0, iso.lastIndexOf('.'));
  if (!micro) return `${base}Z`;
  const ns = Number.isFinite(nanos) ? Math.min(Math.max(Math.trunc(nanos), 0), 999_999_999) : 0;
  return `${base}.${String(Math.floor(ns / 1000)).padStart(6, '0')}Z`;
}

/** Go's time.Duration.String(): "0s", "1.5µs", "300ms", "1h2m3.5s". */
export function formatDuration(ns: bigint): string {
  if (ns === 0n) return '0s';
  const neg = ns < 0n;
  const u = neg ? -ns : ns;
  let s: string;
  if (u < 1_000_000_000n) {
    if (u < 1_000n) s = `${u}ns`;
    else if (u < 1_000_000n) s = `${fraction(u, 3)}µs`;
    else s = `${fraction(u, 6)}ms`;
  } else {
    const secs = u / 1_000_000_000n;
    s = `${fraction(u % 60_000_000_000n, 9)}s`;
    if (secs >= 60n) s = `${(secs / 60n) % 60n}m${s}`;
    if (secs >= 3600n) s = `${secs / 3600n}h${s}`;
  }
  return neg ? `-${s}` : s;
}

/** v / 10^digits with the fraction's trailing zeros (and a bare point) removed. */
function fraction(v: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const frac = (v % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return frac ? `${v / scale}.${frac}` : `${v / scale}`;
}
