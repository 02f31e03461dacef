import type {
  ConfigMap, Endpoints, Event, Namespace, Node, PersistentVolume, PersistentVolumeClaim,
  ResourceQuota, Secret, Service, ServiceAccount, ServicePort,
} from 'kubernetes-types/core/v1';
import type { KObject } from '@skiff/api';
import type { Printer } from './types';
import { AGE_COLUMN, NAME_COLUMN, ageOf, column, nameOf, wide } from './columns';
import { FIELD_DOCS as D } from './field-docs';
import { translateTimestampSince } from './duration';
import { formatQuantity } from './quantity';
import { byteCompare, formatLabels } from './label-format';

const as = <T>(obj: KObject): T => obj as unknown as T;
const count = (x: object | unknown[] | undefined | null): number => (x ? Object.keys(x).length : 0);

/** A list capped at three entries, then ` + N more...`. */
function withMore(list: string[], total: number, max = 3): string {
  const ret = list.join(',');
  return total > max ? `${ret} + ${total - max} more...` : ret;
}

function joinHostPort(host: string, port: number | undefined): string {
  return host.includes(':') ? `[${host}]:${port ?? 0}` : `${host}:${port ?? 0}`;
}

// ---- Service ----

function loadBalancerIngress(svc: Service): string {
  const set = new Set<string>();
  for (const ing of svc.status?.loadBalancer?.ingress ?? []) {
    if (ing.ip) set.add(ing.ip);
    else if (ing.hostname) set.add(ing.hostname);
  }
  // The API server prints tables "wide", so the list is never clipped.
  return [...set].sort(byteCompare).join(',');
}

export function serviceExternalIP(svc: Service): string {
  const externalIPs = svc.spec?.externalIPs ?? [];
  switch (svc.spec?.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerIngress(svc);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return svc.spec?.externalName ?? '';
    default:
      return '<unknown>';
  }
}

export function servicePorts(ports: ServicePort[] | undefined): string {
  const text = (ports ?? [])
    .map((p) => (p.nodePort ?? 0) > 0
      ? `${p.port}:${p.nodePort}/${p.protocol ?? 'TCP'}`
      : `${p.port}/${p.protocol ?? 'TCP'}`)
    .join(',');
  return text || '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', D.svcType),
    column('Cluster-IP', 'string', D.svcClusterIP),
    column('External-IP', 'string', D.svcExternalIPs),
    column('Port(s)', 'string', D.svcPorts),
    AGE_COLUMN,
    wide('Selector', 'string', D.svcSelector),
  ],
  cells(obj, now) {
    const svc = as<Service>(obj);
    const clusterIP = svc.spec?.clusterIPs?.[0] || svc.spec?.clusterIP || '<none>';
    return [
      nameOf(obj), svc.spec?.type ?? 'ClusterIP', clusterIP, serviceExternalIP(svc),
      servicePorts(svc.spec?.ports), ageOf(obj, now), formatLabels(svc.spec?.selector),
    ];
  },
};

// ---- Endpoints ----

export function formatEndpoints(ep: Endpoints): string {
  const subsets = ep.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let total = 0;
  for (const ss of subsets) {
    const addresses = ss.addresses ?? [];
    const ports = ss.ports ?? [];
    if (ports.length === 0) {
      // Headless services may have no ports.
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(a.ip);
      }
      continue;
    }
    for (const port of ports) {
      total += addresses.length;
      for (const a of addresses) {
        if (list.length === max) break;
        list.push(joinHostPort(a.ip, port.port));
      }
    }
  }
  return withMore(list, total, max);
}

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', D.epSubsets), AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), formatEndpoints(as<Endpoints>(obj)), ageOf(obj, now)],
};

// ---- ConfigMap, Secret, ServiceAccount, Namespace ----

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'string', D.cmData), AGE_COLUMN],
  cells(obj, now) {
    const cm = as<ConfigMap>(obj);
    return [nameOf(obj), count(cm.data) + count(cm.binaryData), ageOf(obj, now)];
  },
};

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, column('Type', 'string', D.secretType), column('Data', 'string', D.secretData), AGE_COLUMN],
  cells(obj, now) {
    const secret = as<Secret>(obj);
    return [nameOf(obj), secret.type ?? '', count(secret.data), ageOf(obj, now)];
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column('Secrets', 'string', D.saSecrets), AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), count(as<ServiceAccount>(obj).secrets), ageOf(obj, now)],
};

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells: (obj, now) => [nameOf(obj), as<Namespace>(obj).status?.phase ?? '', ageOf(obj, now)],
};

// ---- Node ----

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

export function nodeRoles(node: Node): string[] {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata?.labels ?? {})) {
    if (k.startsWith(NODE_ROLE_PREFIX)) {
      const role = k.slice(NODE_ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === NODE_ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  return [...roles].sort(byteCompare);
}

export function nodeStatus(node: Node): string {
  const status: string[] = [];
  // The last condition of a type wins, as in the printer's condition map.
  const ready = (node.status?.conditions ?? []).filter((c) => c.type === 'Ready').pop();
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (node.spec?.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

function nodeAddress(node: Node, type: string): string {
  return (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', D.nodeKubeletVersion),
    wide('Internal-IP', 'string', D.nodeAddresses),
    wide('External-IP', 'string', D.nodeAddresses),
    wide('OS-Image', 'string', D.nodeOSImage),
    wide('Kernel-Version', 'string', D.nodeKernelVersion),
    wide('Container-Runtime', 'string', D.nodeContainerRuntime),
  ],
  cells(obj, now) {
    const node = as<Node>(obj);
    const info = node.status?.nodeInfo;
    return [
      nameOf(obj), nodeStatus(node), nodeRoles(node).join(',') || '<none>', ageOf(obj, now),
      info?.kubeletVersion ?? '',
      nodeAddress(node, 'InternalIP'), nodeAddress(node, 'ExternalIP'),
      info?.osImage || '<unknown>', info?.kernelVersion || '<unknown>', info?.containerRuntimeVersion || '<unknown>',
    ];
  },
};

// ---- Event ----

function eventSource(ev: Event): string {
  const component = ev.source?.component || ev.reportingComponent || '';
  const instance = ev.source?.host || ev.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', D.evLastTimestamp),
    column('Type', 'string', D.evType),
    column('Reason', 'string', D.evReason),
    column('Object', 'string', D.evInvolvedObject),
    wide('Subobject', 'string', D.evFieldPath),
    wide('Source', 'string', D.evSource),
    column('Message', 'string', D.evMessage),
    wide('First Seen', 'string', D.evFirstTimestamp),
    wide('Count', 'string', D.evCount),
    column('Name', 'string', D.metaName, { priority: 1, format: 'name' }),
  ],
  cells(obj, now) {
    const ev = as<Event>(obj);
    const firstSeen = ev.firstTimestamp
      ? translateTimestampSince(ev.firstTimestamp, now)
      : translateTimestampSince(ev.eventTime, now);
    let lastSeen = ev.lastTimestamp ? translateTimestampSince(ev.lastTimestamp, now) : firstSeen;
    let n = ev.count ?? 0;
    if (ev.series) {
      lastSeen = translateTimestampSince(ev.series.lastObservedTime, now);
      n = ev.series.count ?? 0;
    } else if (n === 0) {
      n = 1; // singleton events of the new API carry no count
    }
    const kind = (ev.involvedObject?.kind ?? '').toLowerCase();
    const target = ev.involvedObject?.name ? `${kind}/${ev.involvedObject.name}` : kind;
    return [
      lastSeen, ev.type ?? '', ev.reason ?? '', target, ev.involvedObject?.fieldPath ?? '',
      eventSource(ev), (ev.message ?? '').trim(), firstSeen, n, nameOf(obj),
    ];
  },
};

// ---- ResourceQuota ----

export const resourceQuotaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    AGE_COLUMN,
  ],
  cells(obj, now) {
    const rq = as<ResourceQuota>(obj);
    const hard = rq.status?.hard ?? {};
    const used = rq.status?.used ?? {};
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort(byteCompare)) {
      const pieces = resource.split('.');
      const target = pieces.length > 1 && pieces[0] === 'limits' ? limits : requests;
      target.push(`${resource}: ${formatQuantity(used[resource])}/${formatQuantity(hard[resource])}`);
    }
    return [nameOf(obj), requests.join(', '), limits.join(', '), ageOf(obj, now)];
  },
};

// ---- PersistentVolume, PersistentVolumeClaim ----

const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export function accessModes(modes: string[] | undefined): string {
  const has = (m: string): boolean => (modes ?? []).includes(m);
  const out: string[] = [];
  if (has('ReadWriteOnce')) out.push('RWO');
  if (has('ReadOnlyMany')) out.push('ROX');
  if (has('ReadWriteMany')) out.push('RWX');
  if (has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

function storageClassOf(obj: KObject, specClass: string | undefined): string {
  const annotations = obj.metadata.annotations ?? {};
  if (BETA_STORAGE_CLASS_ANNOTATION in annotations) return annotations[BETA_STORAGE_CLASS_ANNOTATION] ?? '';
  return specClass ?? '';
}

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Capacity', 'string', D.pvCapacity),
    column('Access Modes', 'string', D.pvAccessModes),
    column('Reclaim Policy', 'string', D.pvReclaimPolicy),
    column('Status', 'string', D.pvPhase),
    column('Claim', 'string', D.pvClaimRef),
    column('StorageClass', 'string', 'StorageClass of the pv'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pv'),
    column('Reason', 'string', D.pvReason),
    AGE_COLUMN,
    wide('VolumeMode', 'string', D.pvVolumeMode),
  ],
  cells(obj, now) {
    const pv = as<PersistentVolume>(obj);
    const claim = pv.spec?.claimRef ? `${pv.spec.claimRef.namespace ?? ''}/${pv.spec.claimRef.name ?? ''}` : '';
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : pv.status?.phase ?? '';
    return [
      nameOf(obj), formatQuantity(pv.spec?.capacity?.storage), accessModes(pv.spec?.accessModes),
      pv.spec?.persistentVolumeReclaimPolicy ?? '', phase, claim,
      storageClassOf(obj, pv.spec?.storageClassName), pv.spec?.volumeAttributesClassName ?? '<unset>',
      pv.status?.reason ?? '', ageOf(obj, now), pv.spec?.volumeMode ?? '<unset>',
    ];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', D.pvcPhase),
    column('Volume', 'string', D.pvcVolumeName),
    column('Capacity', 'string', D.pvcCapacity),
    column('Access Modes', 'string', D.pvcAccessModes),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    wide('VolumeMode', 'string', D.pvcVolumeMode),
  ],
  cells(obj, now) {
    const pvc = as<PersistentVolumeClaim>(obj);
    const phase = obj.metadata.deletionTimestamp ? 'Terminating' : pvc.status?.phase ?? '';
    const bound = Boolean(pvc.spec?.volumeName);
    return [
      nameOf(obj), phase, pvc.spec?.volumeName ?? '',
      bound ? formatQuantity(pvc.status?.capacity?.storage) : '',
      bound ? accessModes(pvc.status?.accessModes) : '',
      storageClassOf(obj, pvc.spec?.storageClassName), pvc.spec?.volumeAttributesClassName ?? '<unset>',
      ageOf(obj, now), pvc.spec?.volumeMode ?? '<unset>',
    ];
  },
};
