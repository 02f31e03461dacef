/**
 * The fields each kind can be filtered on with a field selector, and their values for an
 * object, as Kubernetes' field label conversion functions and ToSelectableFields define them.
 */
import { FieldMatcher, FieldSelectorError, parseFieldSelector } from './field-selector';

const META = ['metadata.name', 'metadata.namespace'] as const;

const BY_KIND: Readonly<Record<string, readonly string[]>> = {
  Pod: [...META, 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
    'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  Event: [...META, 'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason', 'reportingComponent', 'source', 'type'],
  Secret: [...META, 'type'],
  Node: [...META, 'spec.unschedulable'],
  Namespace: [...META, 'status.phase'],
  ReplicaSet: [...META, 'status.replicas'],
  Job: [...META, 'status.successful'],
};

/** Old clients' names for a field, mapped to the current one. */
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Pod: { 'spec.host': 'spec.nodeName' },
};

/** The field labels a kind supports in field selectors. */
export function supportedFieldLabels(kind: string): readonly string[] {
  return BY_KIND[kind] ?? META;
}

function rec(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function int(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? String(Math.trunc(v)) : '0';
}

/** The selectable field values of an object of this kind (missing values are ""). */
export function fieldsOf(kind: string, obj: unknown): Record<string, string> {
  const o = rec(obj);
  const meta = rec(o.metadata);
  const spec = rec(o.spec);
  const status = rec(o.status);
  const f: Record<string, string> = { 'metadata.name': str(meta.name), 'metadata.namespace': str(meta.namespace) };
  switch (kind) {
    case 'Pod': {
      const podIPs = Array.isArray(status.podIPs) ? status.podIPs : [];
      f['spec.nodeName'] = str(spec.nodeName);
      f['spec.restartPolicy'] = str(spec.restartPolicy);
      f['spec.schedulerName'] = str(spec.schedulerName);
      f['spec.serviceAccountName'] = str(spec.serviceAccountName);
      f['spec.hostNetwork'] = spec.hostNetwork === true ? 'true' : 'false';
      f['status.phase'] = str(status.phase);
      f['status.podIP'] = podIPs.length > 0 ? str(rec(podIPs[0]).ip) : str(status.podIP);
      f['status.nominatedNodeName'] = str(status.nominatedNodeName);
      break;
    }
    case 'Event': {
      const io = rec(o.involvedObject);
      for (const k of ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) f[`involvedObject.${k}`] = str(io[k]);
      f.reason = str(o.reason);
      f.reportingComponent = str(o.reportingComponent);
      f.source = str(rec(o.source).component) || str(o.reportingComponent);
      f.type = str(o.type);
      break;
    }
    case 'Secret':
      f.type = str(o.type);
      break;
    case 'Node':
      f['spec.unschedulable'] = spec.unschedulable === true ? 'true' : 'false';
      break;
    case 'Namespace':
      f['status.phase'] = str(status.phase);
      break;
    case 'ReplicaSet':
      f['status.replicas'] = int(status.replicas);
      break;
    case 'Job':
      f['status.successful'] = int(status.succeeded);
      break;
  }
  return f;
}

/**
 * Checks every field a selector names against what the kind supports, mapping old aliases.
 * Throws FieldSelectorError `field label not supported: <name>`, as Kubernetes words it.
 */
export function convertFieldSelector(kind: string, sel: FieldMatcher): FieldMatcher {
  const supported = supportedFieldLabels(kind);
  const aliases = ALIASES[kind] ?? {};
  return new FieldMatcher(sel.requirements.map((r) => {
    const field = aliases[r.field] ?? r.field;
    if (!supported.includes(field)) throw new FieldSelectorError(`field label not supported: ${r.field}`);
    return { ...r, field };
  }));
}

/** Parses and checks a field selector for a kind, returning a predicate on objects. Throws FieldSelectorError. */
export function fieldSelectorMatcher(kind: string, selector: string): (obj: unknown) => boolean {
  const sel = convertFieldSelector(kind, parseFieldSelector(selector));
  if (sel.isEmpty()) return () => true;
  return (obj) => sel.matches(fieldsOf(kind, obj));
}
