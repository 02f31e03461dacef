/**
 * The OpenAPI v3 component schemas of the Kubernetes types, generated at build time by
 * scripts/gen-schemas.js into generated/schemas.json, and helpers to look them up.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** The subset of an OpenAPI v3 schema object the generator emits. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
  default?: unknown;
  uniqueItems?: boolean;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-int-or-string'?: boolean;
}

export type SchemaMap = Readonly<Record<string, Schema>>;

export const REF_PREFIX = '#/components/schemas/';
export const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
export const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';

let cache: SchemaMap | undefined;
let gvkIndex: Map<string, string> | undefined;

/** Where the generator writes its output, relative to this module (src/openapi or dist/openapi). */
export function schemasFile(): string {
  return path.resolve(__dirname, '..', '..', 'generated', 'schemas.json');
}

/**
 * All component schemas, keyed by Kubernetes name (`io.k8s.api.core.v1.Pod`). Read once and
 * cached. If the generated file is missing (tsc ran without `npm run build`), the generator
 * is run in memory instead. The result is shared: never mutate it.
 */
export function loadSchemas(): SchemaMap {
  if (cache) return cache;
  const file = schemasFile();
  let parsed: Record<string, Schema>;
  if (fs.existsSync(file)) {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, Schema>;
  } else {
    const script = path.resolve(__dirname, '..', '..', 'scripts', 'gen-schemas.js');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const gen = require(script) as { generate: () => Record<string, Schema> };
    parsed = gen.generate();
  }
  cache = Object.freeze(parsed);
  return cache;
}

function gvkKey(apiVersion: string, kind: string): string {
  return `${apiVersion}\u0000${kind}`;
}

function apiVersionOfGvk(g: GroupVersionKind): string {
  return g.group ? `${g.group}/${g.version}` : g.version;
}

/** The component name of the schema for a kind (`apps/v1`, `Deployment` -> `io.k8s.api.apps.v1.Deployment`). */
export function schemaNameFor(apiVersion: string, kind: string): string | undefined {
  if (!gvkIndex) {
    const index = new Map<string, string>();
    const schemas = loadSchemas();
    for (const name of Object.keys(schemas)) {
      const gvks = schemas[name]?.['x-kubernetes-group-version-kind'];
      if (!gvks) continue;
      for (const g of gvks) {
        const k = gvkKey(apiVersionOfGvk(g), g.kind);
        if (!index.has(k)) index.set(k, name);
      }
    }
    gvkIndex = index;
  }
  return gvkIndex.get(gvkKey(apiVersion, kind));
}

/** The schema of a kind, or undefined. */
export function schemaFor(apiVersion: string, kind: string): Schema | undefined {
  const name = schemaNameFor(apiVersion, kind);
  return name === undefined ? undefined : loadSchemas()[name];
}

/** The component name a `$ref` points at. */
export function refName(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

/** The component a schema refers to directly (`$ref`) or through a single-element `allOf`. */
export function refOf(s: Schema): string | undefined {
  if (s.$ref) return refName(s.$ref);
  const first = s.allOf?.[0];
  if (s.allOf && s.allOf.length === 1 && first?.$ref) return refName(first.$ref);
  return undefined;
}

/**
 * Follows `$ref` / `allOf` from a property or item schema to the schema that defines the
 * type, returning it with the name of the last component visited (if any).
 */
export function resolveSchema(s: Schema, schemas: SchemaMap = loadSchemas()): { schema: Schema; name?: string } {
  let cur = s;
  let name: string | undefined;
  for (let hops = 0; hops < 16; hops++) {
    const ref = refOf(cur);
    if (ref === undefined) break;
    const next = Object.prototype.hasOwnProperty.call(schemas, ref) ? schemas[ref] : undefined;
    if (!next) break;
    cur = next;
    name = ref;
  }
  return name === undefined ? { schema: cur } : { schema: cur, name };
}

/** Own-property lookup (JSON input may carry keys like `__proto__` or `constructor`). */
export function ownProp<T>(rec: Record<string, T> | undefined, key: string): T | undefined {
  return rec !== undefined && Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}
