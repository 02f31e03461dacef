/** PatchMeta (../patch-meta) implemented by walking the OpenAPI schemas. */
import type { PatchMeta } from '../patch-meta';
import { INT_OR_STRING, QUANTITY, type Schema, type SchemaMap, loadSchemas, ownProp, resolveSchema, schemaNameFor } from './schemas';

class SchemaPatchMeta implements PatchMeta {
  type?: PatchMeta['type'];
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: 'atomic' | 'set' | 'map';
  listMapKeys?: string[];
  mapType?: 'atomic' | 'granular';

  private readonly resolved: Schema;
  private fields?: Map<string, PatchMeta | undefined>;
  private itemsMeta?: PatchMeta | null;

  /** `site` is the schema where the value sits (a property, an item, a map value or a component). */
  constructor(site: Schema, private readonly schemas: SchemaMap) {
    const { schema, name } = resolveSchema(site, schemas);
    this.resolved = schema;
    this.type = typeOf(schema, name);
    const strategy = site['x-kubernetes-patch-strategy'] ?? schema['x-kubernetes-patch-strategy'];
    if (strategy !== undefined) this.patchStrategy = strategy;
    const mergeKey = site['x-kubernetes-patch-merge-key'] ?? schema['x-kubernetes-patch-merge-key'];
    if (mergeKey !== undefined) this.patchMergeKey = mergeKey;
    const listType = site['x-kubernetes-list-type'] ?? schema['x-kubernetes-list-type'];
    if (listType !== undefined) this.listType = listType;
    const keys = site['x-kubernetes-list-map-keys'] ?? schema['x-kubernetes-list-map-keys'];
    if (keys !== undefined) this.listMapKeys = [...keys];
    const mapType = site['x-kubernetes-map-type'] ?? schema['x-kubernetes-map-type'];
    if (mapType !== undefined) this.mapType = mapType;
  }

  field(name: string): PatchMeta | undefined {
    if (this.fields?.has(name)) return this.fields.get(name);
    let meta: PatchMeta | undefined;
    const props = this.resolved.properties;
    const prop = ownProp(props, name);
    if (prop) meta = new SchemaPatchMeta(prop, this.schemas);
    else if (!props && typeof this.resolved.additionalProperties === 'object') {
      meta = new SchemaPatchMeta(this.resolved.additionalProperties, this.schemas);
    }
    (this.fields ??= new Map()).set(name, meta);
    return meta;
  }

  items(): PatchMeta | undefined {
    if (this.itemsMeta === undefined) {
      this.itemsMeta = this.resolved.items ? new SchemaPatchMeta(this.resolved.items, this.schemas) : null;
    }
    return this.itemsMeta ?? undefined;
  }
}

function typeOf(s: Schema, name: string | undefined): PatchMeta['type'] {
  if (name === INT_OR_STRING) return 'int-or-string';
  if (name === QUANTITY) return 'quantity';
  if (s['x-kubernetes-int-or-string']) return 'int-or-string';
  switch (s.type) {
    case 'object': case 'array': case 'string': case 'integer': case 'number': case 'boolean':
      return s.type;
    default:
      return 'any';
  }
}

/** Patch metadata for the root of an object of the given kind; undefined for unknown kinds. */
export function patchMetaFor(apiVersion: string, kind: string): PatchMeta | undefined {
  const name = schemaNameFor(apiVersion, kind);
  if (name === undefined) return undefined;
  const schemas = loadSchemas();
  const schema = schemas[name];
  return schema ? new SchemaPatchMeta(schema, schemas) : undefined;
}

/** Patch metadata rooted at any component schema (`io.k8s.api.core.v1.PodSpec`). */
export function patchMetaForSchema(schemaName: string): PatchMeta | undefined {
  const schemas = loadSchemas();
  const schema = ownProp(schemas as Record<string, Schema>, schemaName);
  return schema ? new SchemaPatchMeta(schema, schemas) : undefined;
}
