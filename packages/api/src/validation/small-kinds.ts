/**
 * The kinds with little to check: Lease, Event (legacy core/v1 rules), ServiceAccount,
 * LimitRange, ResourceQuota.
 */
import type { JsonObject } from '../object';
import { childPath, invalid, keyPath, notSupported, required } from './field-errors';
import { isDNS1123Subdomain, isQualifiedName, nameIsDNSSubdomain } from './name-rules';
import { validateObjectMeta } from './object-meta';
import { quantityField } from './pod-spec';
import { peek, type Reader } from './typed-read';

const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function timestamp(r: Reader, v: unknown, path: string): void {
  const s = r.str(v, path);
  if (s !== undefined && (!MICRO_TIME.test(s) || Number.isNaN(Date.parse(s)))) {
    r.add(invalid(path, s, 'must be an RFC 3339 date and time (e.g. 2006-01-02T15:04:05.000000Z)'));
  }
}

export function validateLease(r: Reader, lease: JsonObject): void {
  validateObjectMeta(r, lease.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(lease.spec, 'spec') ?? {};
  r.str(spec.holderIdentity, 'spec.holderIdentity');
  const duration = r.int(spec.leaseDurationSeconds, 'spec.leaseDurationSeconds');
  if (duration !== undefined && duration <= 0) r.add(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = r.int(spec.leaseTransitions, 'spec.leaseTransitions');
  if (transitions !== undefined && transitions < 0) r.add(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  timestamp(r, spec.acquireTime, 'spec.acquireTime');
  timestamp(r, spec.renewTime, 'spec.renewTime');
}

/** core/v1 Event: the legacy rules (Kubernetes applies no name rule to events). */
export function validateEvent(r: Reader, ev: JsonObject): void {
  validateObjectMeta(r, ev.metadata, 'metadata', null);
  const namespace = peek.str(peek.obj(ev.metadata)?.namespace) ?? '';
  const io = r.obj(ev.involvedObject, 'involvedObject') ?? {};
  const ioNamespace = r.str(io.namespace, 'involvedObject.namespace') ?? '';
  for (const k of ['kind', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath']) r.str(io[k], childPath('involvedObject', k));
  const eventTime = r.str(ev.eventTime, 'eventTime');
  const reason = r.str(ev.reason, 'reason') ?? '';
  const message = r.str(ev.message, 'message') ?? '';
  const reporting = r.str(ev.reportingComponent, 'reportingComponent') ?? '';
  const instance = r.str(ev.reportingInstance, 'reportingInstance') ?? '';
  const action = r.str(ev.action, 'action') ?? '';
  r.str(ev.type, 'type');
  r.int(ev.count, 'count');
  if (!eventTime) {
    if (!ioNamespace) {
      if (namespace !== '' && namespace !== 'default') r.add(invalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace'));
    } else if (namespace !== ioNamespace) {
      r.add(invalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace'));
    }
  } else {
    if (!ioNamespace && namespace !== 'default' && namespace !== 'kube-system') r.add(invalid('involvedObject.namespace', ioNamespace, 'does not match event.namespace'));
    if (!reporting) r.add(required('reportingComponent'));
    for (const m of isQualifiedName(reporting)) r.add(invalid('reportingComponent', reporting, m));
    if (!instance) r.add(required('reportingInstance'));
    if (instance.length > 128) r.add(invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!action) r.add(required('action'));
    if (action.length > 128) r.add(invalid('action', '', 'can have at most 128 characters'));
    if (!reason) r.add(required('reason'));
    if (reason.length > 128) r.add(invalid('reason', '', 'can have at most 128 characters'));
    if (message.length > 1024) r.add(invalid('message', '', 'can have at most 1024 characters'));
  }
  if (namespace) for (const m of isDNS1123Subdomain(namespace)) r.add(invalid('namespace', namespace, m));
}

export function validateServiceAccount(r: Reader, sa: JsonObject): void {
  validateObjectMeta(r, sa.metadata, 'metadata', nameIsDNSSubdomain);
  for (const k of ['secrets', 'imagePullSecrets']) r.objList(sa[k], k);
  r.bool(sa.automountServiceAccountToken, 'automountServiceAccountToken');
}

function resourceList(r: Reader, value: unknown, path: string): Map<string, ReturnType<typeof quantityField>> {
  const out = new Map<string, ReturnType<typeof quantityField>>();
  for (const [name, v] of Object.entries(r.obj(value, path) ?? {})) {
    const p = keyPath(path, name);
    for (const m of isQualifiedName(name)) r.add(invalid(p, name, m));
    const q = quantityField(r, v, p);
    if (q && q.sign() < 0) r.add(invalid(p, q.toString(), 'must be greater than or equal to 0'));
    out.set(name, q);
  }
  return out;
}

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

export function validateLimitRange(r: Reader, lr: JsonObject): void {
  validateObjectMeta(r, lr.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(lr.spec, 'spec') ?? {};
  for (const { item, path } of r.objList(spec.limits, 'spec.limits')) {
    const type = r.str(item.type, childPath(path, 'type')) ?? '';
    if (!type) r.add(required(childPath(path, 'type')));
    else if (!LIMIT_TYPES.includes(type)) r.add(notSupported(childPath(path, 'type'), type, LIMIT_TYPES));
    const max = resourceList(r, item.max, childPath(path, 'max'));
    const min = resourceList(r, item.min, childPath(path, 'min'));
    const def = resourceList(r, item.default, childPath(path, 'default'));
    const defReq = resourceList(r, item.defaultRequest, childPath(path, 'defaultRequest'));
    resourceList(r, item.maxLimitRequestRatio, childPath(path, 'maxLimitRequestRatio'));
    for (const [k, mn] of min) {
      const mx = max.get(k);
      if (mn && mx && mn.cmp(mx) > 0) r.add(invalid(keyPath(childPath(path, 'min'), k), mn.toString(), `min value ${mn.toString()} is greater than max value ${mx.toString()}`));
    }
    for (const [k, d] of defReq) {
      const dl = def.get(k);
      if (d && dl && d.cmp(dl) > 0) r.add(invalid(keyPath(childPath(path, 'defaultRequest'), k), d.toString(), `default request value ${d.toString()} is greater than default limit value ${dl.toString()}`));
    }
  }
}

export function validateResourceQuota(r: Reader, rq: JsonObject): void {
  validateObjectMeta(r, rq.metadata, 'metadata', nameIsDNSSubdomain);
  const spec = r.obj(rq.spec, 'spec') ?? {};
  resourceList(r, spec.hard, 'spec.hard');
  r.strList(spec.scopes, 'spec.scopes');
}

