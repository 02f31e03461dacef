/**
 * What patch logic needs to know about a type's schema at one place in an object:
 * merge keys and strategies for strategic merge patch, list and map types for
 * server-side apply. Implemented from the OpenAPI schemas (openapi/), consumed by patch/.
 */
export interface PatchMeta {
  /** JSON type at this place, when known. */
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'any';
  /** x-kubernetes-patch-strategy: "merge", "replace", "retainKeys", "merge,retainKeys". */
  patchStrategy?: string;
  /** x-kubernetes-patch-merge-key for lists of objects merged by key. */
  patchMergeKey?: string;
  /** x-kubernetes-list-type for server-side apply. */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys. */
  listMapKeys?: string[];
  /** x-kubernetes-map-type. */
  mapType?: 'atomic' | 'granular';
  /** Meta of a named field of this object (or of the values of a map). Undefined when unknown. */
  field(name: string): PatchMeta | undefined;
  /** Meta of the items of this list. */
  items(): PatchMeta | undefined;
}
