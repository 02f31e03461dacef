/**
 * Converters between a served version and the storage version of one resource. The HTTP layer
 * decodes request bodies to the storage version and encodes responses, list items and watch
 * events to the version the request named; storage, controllers and informers only ever see
 * the storage version.
 */
import type { KObject } from '../object';
import { apiVersionOf, findByPlural, ResourceInfo } from '../resources';
import { hpaV1ToV2, hpaV2ToV1 } from './hpa-v1-conversion';

export interface VersionConverter {
  /** `group/version` served by conversion, e.g. `autoscaling/v1`. */
  servedApiVersion: string;
  /** `group/version` the objects are stored in, e.g. `autoscaling/v2`. */
  storageApiVersion: string;
  kind: string;
  /** Served -> storage (request bodies). Pure: returns a new object. */
  toStorage(obj: KObject): KObject;
  /** Storage -> served (responses, list items, watch events). Pure: returns a new object. */
  fromStorage(obj: KObject): KObject;
}

const CONVERTERS: readonly VersionConverter[] = [
  { servedApiVersion: 'autoscaling/v1', storageApiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', toStorage: hpaV1ToV2, fromStorage: hpaV2ToV1 },
];

/** The converter for a served-only catalogue entry (one with `storageVersion`), if any. */
export function converterFor(served: Pick<ResourceInfo, 'group' | 'version' | 'kind'>): VersionConverter | undefined {
  const av = apiVersionOf(served);
  return CONVERTERS.find((c) => c.servedApiVersion === av && c.kind === served.kind);
}

/** The catalogue entry objects of a served-only version are stored under. */
export function storageInfoOf(served: ResourceInfo): ResourceInfo {
  if (!served.storageVersion) return served;
  const info = findByPlural(served.group, served.storageVersion, served.plural);
  if (!info) throw new Error(`no storage version ${served.storageVersion} for ${served.plural}.${served.group}`);
  return info;
}
