/**
 * Test helper: builds PatchMeta trees from plain descriptions, plus hand-written
 * fixtures for the parts of Pod, Deployment and Node that the patch tests touch.
 * The fixtures carry the same patch strategies, merge keys and list types as the
 * Kubernetes OpenAPI schemas.
 */
import type { PatchMeta } from '../patch-meta';

export interface MetaSpec {
  type?: PatchMeta['type'];
  patchStrategy?: string;
  patchMergeKey?: string;
  listType?: PatchMeta['listType'];
  listMapKeys?: string[];
  mapType?: PatchMeta['mapType'];
  /** Named fields of an object. */
  fields?: Record<string, MetaSpec>;
  /** Meta of every value of a map (used for names not in `fields`). */
  values?: MetaSpec;
  /** Meta of the items of a list. */
  items?: MetaSpec;
}

export function buildMeta(spec: MetaSpec): PatchMeta {
  const fields = new Map<string, PatchMeta>();
  let values: PatchMeta | undefined;
  let items: PatchMeta | undefined;
  const meta: PatchMeta = {
    field(name: string): PatchMeta | undefined {
      const f = spec.fields && Object.prototype.hasOwnProperty.call(spec.fields, name) ? spec.fields[name] : undefined;
      if (f) {
        let m = fields.get(name);
        if (!m) {
          m = buildMeta(f);
          fields.set(name, m);
        }
        return m;
      }
      if (spec.values) {
        values ??= buildMeta(spec.values);
        return values;
      }
      return undefined;
    },
    items(): PatchMeta | undefined {
      if (!spec.items) return undefined;
      items ??= buildMeta(spec.items);
      return items;
    },
  };
  if (spec.type !== undefined) meta.type = spec.type;
  if (spec.patchStrategy !== undefined) meta.patchStrategy = spec.patchStrategy;
  if (spec.patchMergeKey !== undefined) meta.patchMergeKey = spec.patchMergeKey;
  if (spec.listType !== undefined) meta.listType = spec.listType;
  if (spec.listMapKeys !== undefined) meta.listMapKeys = spec.listMapKeys;
  if (spec.mapType !== undefined) meta.mapType = spec.mapType;
  return meta;
}

export const str: MetaSpec = { type: 'string' };
export const int: MetaSpec = { type: 'integer' };
export const bool: MetaSpec = { type: 'boolean' };
export const intOrString: MetaSpec = { type: 'int-or-string' };
export const quantity: MetaSpec = { type: 'quantity' };
export const any: MetaSpec = { type: 'any' };

export function obj(fields: Record<string, MetaSpec>, extra: Omit<MetaSpec, 'fields'> = {}): MetaSpec {
  return { type: 'object', ...extra, fields };
}

export function mapOf(values: MetaSpec, extra: Omit<MetaSpec, 'values'> = {}): MetaSpec {
  return { type: 'object', ...extra, values };
}

/** A list of objects merged by `key` (strategic merge) and keyed by `keys` (server-side apply). */
export function mergeList(items: MetaSpec, key: string, keys: string[] = [key]): MetaSpec {
  return { type: 'array', patchStrategy: 'merge', patchMergeKey: key, listType: 'map', listMapKeys: keys, items };
}

/** A list of scalars merged as a set. */
export function setList(items: MetaSpec = str): MetaSpec {
  return { type: 'array', patchStrategy: 'merge', listType: 'set', items };
}

/** A list replaced whole. */
export function atomicList(items: MetaSpec, extra: Omit<MetaSpec, 'items'> = {}): MetaSpec {
  return { type: 'array', listType: 'atomic', ...extra, items };
}

export const objectMetaSpec: MetaSpec = obj({
  name: str,
  namespace: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: str,
  labels: mapOf(str),
  annotations: mapOf(str),
  finalizers: setList(str),
  ownerReferences: mergeList(obj({ apiVersion: str, kind: str, name: str, uid: str, controller: bool }), 'uid'),
  managedFields: atomicList(any),
});

const envVarSpec = obj({ name: str, value: str, valueFrom: obj({ fieldRef: obj({ fieldPath: str }, { mapType: 'atomic' }) }) });
const containerPortSpec = obj({ name: str, containerPort: int, protocol: str, hostPort: int });

export const containerSpec: MetaSpec = obj({
  name: str,
  image: str,
  imagePullPolicy: str,
  command: atomicList(str),
  args: atomicList(str),
  env: mergeList(envVarSpec, 'name'),
  ports: mergeList(containerPortSpec, 'containerPort', ['containerPort', 'protocol']),
  resources: obj({ limits: mapOf(quantity), requests: mapOf(quantity) }),
  volumeMounts: mergeList(obj({ name: str, mountPath: str, readOnly: bool }), 'mountPath'),
  terminationMessagePath: str,
});

export const podSpecSpec: MetaSpec = obj({
  containers: mergeList(containerSpec, 'name'),
  initContainers: mergeList(containerSpec, 'name'),
  volumes: { ...mergeList(obj({ name: str, emptyDir: obj({ medium: str }), configMap: obj({ name: str }) }), 'name'), patchStrategy: 'merge,retainKeys' },
  nodeSelector: mapOf(str, { mapType: 'atomic' }),
  nodeName: str,
  restartPolicy: str,
  tolerations: atomicList(obj({ key: str, operator: str, value: str, effect: str })),
  terminationGracePeriodSeconds: int,
});

export const podTemplateSpec: MetaSpec = obj({ metadata: objectMetaSpec, spec: podSpecSpec });

export const podMetaSpec: MetaSpec = obj({
  apiVersion: str,
  kind: str,
  metadata: objectMetaSpec,
  spec: podSpecSpec,
  status: obj({ phase: str, podIP: str }),
});

export const deploymentMetaSpec: MetaSpec = obj({
  apiVersion: str,
  kind: str,
  metadata: objectMetaSpec,
  spec: obj({
    replicas: int,
    selector: obj({ matchLabels: mapOf(str) }, { mapType: 'atomic' }),
    template: podTemplateSpec,
    strategy: obj(
      { type: str, rollingUpdate: obj({ maxSurge: intOrString, maxUnavailable: intOrString }) },
      { patchStrategy: 'retainKeys' },
    ),
    revisionHistoryLimit: int,
    progressDeadlineSeconds: int,
  }),
  status: obj({ replicas: int, readyReplicas: int, observedGeneration: int }),
});

export const nodeMetaSpec: MetaSpec = obj({
  apiVersion: str,
  kind: str,
  metadata: objectMetaSpec,
  spec: obj({
    podCIDR: str,
    unschedulable: bool,
    // Kubernetes gives spec.taints no patch strategy and no merge key: patches replace it.
    taints: { type: 'array', items: obj({ key: str, value: str, effect: str, timeAdded: str }) },
  }),
  status: obj({ capacity: mapOf(quantity) }),
});

export const podMeta = buildMeta(podMetaSpec);
export const deploymentMeta = buildMeta(deploymentMetaSpec);
export const nodeMeta = buildMeta(nodeMetaSpec);
