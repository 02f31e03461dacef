import type { Request, Response } from 'express';
import {
  apiVersionOf, isPlainObject, KObject, ResourceInfo, StatusError, findByKind, deepCopy,
} from '@skiff/api';
import type { Registry, DeleteOptions, WriteOptions } from '../registry/store';
import { buildTable } from '../tables';
import { decodeBody, patchTypeOf, wantsTable } from './body';
import type { RequestInfo } from './request-info';
import { serveWatch } from './watch-stream';
import * as hooks from '../registry/api-hooks';
import { objectKey } from '../registry/keys';
import type { UserInfo } from './auth';

/** Streams served by agents (logs, exec, attach, port-forward), plugged in by skiff-master. */
export interface PodStreams {
  handle(kind: 'log' | 'exec' | 'attach' | 'portforward', req: Request, res: Response, pod: KObject): Promise<void>;
}

export interface HandlerContext {
  registry: Registry;
  podStreams?: PodStreams;
  bookmarkIntervalMs: number;
  maxWatchSeconds: number;
}

type Query = Record<string, unknown>;

export function q(req: Request, name: string): string | undefined {
  const v = (req.query as Query)[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

export function qBool(req: Request, name: string): boolean {
  const v = q(req, name);
  return v === 'true' || v === '1';
}

export function qInt(req: Request, name: string): number | undefined {
  const v = q(req, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw StatusError.badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

export function writeOpts(req: Request, user?: UserInfo): WriteOptions & { fieldValidation: string } {
  const dryRun = q(req, 'dryRun');
  if (dryRun !== undefined && dryRun !== 'All' && dryRun !== '') throw StatusError.badRequest(`dryRun: Unsupported value: "${dryRun}": supported values: "All"`);
  const fv = q(req, 'fieldValidation') ?? 'Warn';
  if (!['Strict', 'Warn', 'Ignore'].includes(fv)) throw StatusError.badRequest(`fieldValidation: Unsupported value: "${fv}": supported values: "Ignore", "Strict", "Warn"`);
  const fieldManager = q(req, 'fieldManager');
  if (fieldManager !== undefined && fieldManager.length > 128) throw StatusError.badRequest('fieldManager: Too long: may not be more than 128 bytes');
  const opts: WriteOptions & { fieldValidation: string } = { dryRun: dryRun === 'All', fieldValidation: fv, force: qBool(req, 'force') };
  const userAgent = String(req.headers['user-agent'] ?? '');
  opts.fieldManager = fieldManager ?? (userAgent ? userAgent.split('/')[0] : undefined);
  if (user) opts.user = user.name;
  return opts;
}

export function includeObject(req: Request): 'None' | 'Object' | 'Metadata' {
  const v = q(req, 'includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

/**
 * Checks a decoded body against the kind's schema: unknown fields per fieldValidation
 * (Strict: 400 naming them; Warn: Warning headers) and values of the wrong JSON type (400).
 */
export function checkBody(res: Response, info: ResourceInfo, body: unknown, fieldValidation: string, what = 'object'): KObject {
  if (!isPlainObject(body)) {
    throw StatusError.badRequest(`the body of the request must be a JSON or YAML ${what}, got ${body === undefined ? 'nothing' : Array.isArray(body) ? 'an array' : typeof body}`);
  }
  if (body.metadata !== undefined && !isPlainObject(body.metadata)) {
    throw StatusError.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: metadata must be an object`);
  }
  if (body.apiVersion !== undefined && body.apiVersion !== apiVersionOf(info)) {
    throw StatusError.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${apiVersionOf(info)})`);
  }
  if (body.kind !== undefined && body.kind !== info.kind) {
    throw StatusError.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: the kind in the data (${String(body.kind)}) does not match the expected kind (${info.kind})`);
  }
  const { unknown, typeErrors } = hooks.checkFields(info, body);
  if (typeErrors.length) {
    throw StatusError.badRequest(
      `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeErrors.map((e) => `${e.field}: ${e.detail}`).join(', ')}`,
      typeErrors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
    );
  }
  if (unknown.length && fieldValidation === 'Strict') {
    const list = unknown.map((u) => `unknown field "${u}"`);
    throw StatusError.badRequest(`strict decoding error: ${list.join(', ')}`, unknown.map((u) => ({ reason: 'FieldValueInvalid', message: `unknown field "${u}"`, field: u })));
  }
  if (unknown.length && fieldValidation === 'Warn') {
    res.setHeader('Warning', unknown.slice(0, 20).map((u) => `299 - "unknown field \\"${u}\\""`).join(', '));
  }
  return body as KObject;
}

function listKind(info: ResourceInfo): string {
  return `${info.kind}List`;
}

export function scaleOf(obj: KObject): KObject {
  const spec = (obj.spec ?? {}) as { replicas?: number; selector?: unknown };
  const status = (obj.status ?? {}) as { replicas?: number };
  const out: KObject = {
    kind: 'Scale', apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name, namespace: obj.metadata.namespace, uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: { replicas: status.replicas ?? 0, selector: hooks.selectorString(spec.selector) },
  };
  return out;
}

/** GET/POST/PUT/PATCH/DELETE on a resource path. */
export async function handleResource(ctx: HandlerContext, ri: RequestInfo, req: Request, res: Response, user?: UserInfo): Promise<void> {
  const info = ri.resource!;
  const { registry } = ctx;
  const ns = info.namespaced ? ri.namespace : undefined;
  if (info.namespaced && ri.name && ri.namespace === undefined) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
  if (!info.namespaced && ri.namespace !== undefined) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const method = req.method.toUpperCase();

  if (ri.subresource) return handleSubresource(ctx, ri, req, res, user);

  if (!ri.name) {
    switch (method) {
      case 'GET': {
        const labelSelector = q(req, 'labelSelector');
        const fieldSelector = q(req, 'fieldSelector');
        if (qBool(req, 'watch')) {
          await serveWatch(req, res, registry, info, ns, {
            labelSelector, fieldSelector, resourceVersion: q(req, 'resourceVersion'),
            timeoutSeconds: qInt(req, 'timeoutSeconds'), allowWatchBookmarks: qBool(req, 'allowWatchBookmarks'),
            sendInitialEvents: qBool(req, 'sendInitialEvents') || !q(req, 'resourceVersion') || q(req, 'resourceVersion') === '0',
            asTable: wantsTable(req), includeObject: includeObject(req),
            bookmarkIntervalMs: ctx.bookmarkIntervalMs, maxTimeoutSeconds: ctx.maxWatchSeconds,
          });
          return;
        }
        const listOpts = { labelSelector, fieldSelector, limit: qInt(req, 'limit'), continue: q(req, 'continue'), resourceVersion: q(req, 'resourceVersion') };
        if (!wantsTable(req)) {
          const text = await registry.listText(info, ns, listOpts);
          if (text !== undefined) {
            res.type('application/json').send(text);
            return;
          }
        }
        const result = await registry.list(info, ns, listOpts);
        if (wantsTable(req)) {
          res.json(buildTable(info, result.items, { includeObject: includeObject(req), now: new Date(), resourceVersion: result.resourceVersion, continueToken: result.continue }));
          return;
        }
        const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) metadata.continue = result.continue;
        res.json({ kind: listKind(info), apiVersion: apiVersionOf(info), metadata, items: result.items });
        return;
      }
      case 'POST': {
        const opts = writeOpts(req, user);
        const body = checkBody(res, info, (await decodeBody(req)).value, opts.fieldValidation);
        const created = await registry.create(info, ns, body, opts);
        res.status(201).json(created);
        return;
      }
      case 'DELETE': {
        const opts = await deleteOpts(req);
        const items = await registry.deleteCollection(info, ns, { labelSelector: q(req, 'labelSelector'), fieldSelector: q(req, 'fieldSelector') }, opts);
        res.json({ kind: listKind(info), apiVersion: apiVersionOf(info), metadata: {}, items });
        return;
      }
      default:
        throw StatusError.methodNotAllowed(`the server does not allow this method on the requested resource`);
    }
  }

  const name = ri.name;
  switch (method) {
    case 'GET': {
      if (!wantsTable(req)) {
        res.type('application/json').send(await registry.getText(info, ns, name));
        return;
      }
      const obj = await registry.get(info, ns, name);
      if (wantsTable(req)) {
        res.json(buildTable(info, [obj], { includeObject: includeObject(req), now: new Date(), resourceVersion: obj.metadata.resourceVersion }));
        return;
      }
      res.json(obj);
      return;
    }
    case 'PUT': {
      const opts = writeOpts(req, user);
      const body = checkBody(res, info, (await decodeBody(req)).value, opts.fieldValidation);
      const r = await registry.update(info, ns, name, body, opts);
      res.status(r.created ? 201 : 200).json(r.object);
      return;
    }
    case 'PATCH': {
      const opts = writeOpts(req, user);
      const type = patchTypeOf(req);
      const body = (await decodeBody(req)).value;
      if (type === 'json' ? !Array.isArray(body) : !isPlainObject(body)) {
        throw StatusError.badRequest(type === 'json' ? 'the JSON patch must be a list of operations' : 'the patch must be a JSON or YAML object');
      }
      if (type !== 'json') checkBody(res, info, stripDirectives(body), type === 'apply' ? opts.fieldValidation : opts.fieldValidation, 'patch');
      if (type === 'apply' && !opts.fieldManager) throw StatusError.badRequest('PATCH requests with apply content type must have a fieldManager');
      const r = await registry.patch(info, ns, name, type, body, opts);
      res.status(r.created ? 201 : 200).json(r.object);
      return;
    }
    case 'DELETE': {
      const opts = await deleteOpts(req);
      const obj = await registry.delete(info, ns, name, opts);
      res.status(200).json(obj);
      return;
    }
    default:
      throw StatusError.methodNotAllowed('the server does not allow this method on the requested resource');
  }
}

/** Strategic merge patch directives are not fields; leave them out of the unknown-field check. */
export function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k.startsWith('$')) continue;
    out[k] = stripDirectives(x);
  }
  return out;
}

export async function deleteOpts(req: Request): Promise<DeleteOptions> {
  const decoded = (await decodeBody(req)).value;
  const body = isPlainObject(decoded) ? decoded : {};
  const opts: DeleteOptions = {};
  const grace = qInt(req, 'gracePeriodSeconds') ?? (typeof body.gracePeriodSeconds === 'number' ? body.gracePeriodSeconds : undefined);
  if (grace !== undefined) opts.gracePeriodSeconds = grace;
  const prop = q(req, 'propagationPolicy') ?? (typeof body.propagationPolicy === 'string' ? body.propagationPolicy : undefined);
  if (prop !== undefined) {
    if (prop !== 'Background' && prop !== 'Foreground' && prop !== 'Orphan') {
      throw StatusError.badRequest(`propagationPolicy: Unsupported value: "${prop}": supported values: "Background", "Foreground", "Orphan"`);
    }
    opts.propagationPolicy = prop;
  } else if (body.orphanDependents === true || q(req, 'orphanDependents') === 'true') {
    opts.propagationPolicy = 'Orphan';
  }
  if (isPlainObject(body.preconditions)) {
    const p = body.preconditions;
    opts.preconditions = {};
    if (typeof p.uid === 'string') opts.preconditions.uid = p.uid;
    if (typeof p.resourceVersion === 'string') opts.preconditions.resourceVersion = p.resourceVersion;
  }
  const dryRun = q(req, 'dryRun') ?? (Array.isArray(body.dryRun) ? body.dryRun[0] : undefined);
  if (dryRun === 'All') opts.dryRun = true;
  return opts;
}

async function handleSubresource(ctx: HandlerContext, ri: RequestInfo, req: Request, res: Response, user?: UserInfo): Promise<void> {
  const info = ri.resource!;
  const { registry } = ctx;
  const ns = info.namespaced ? ri.namespace : undefined;
  const name = ri.name!;
  const sub = ri.subresource!;
  const method = req.method.toUpperCase();
  const known = info.subresources.find((s) => s.name === sub) ?? (info.kind === 'Namespace' && sub === 'finalize' ? { name: 'finalize' } : undefined);
  if (!known) throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${method.toLowerCase()} ${info.plural}/${sub} ${name})`);

  if (sub === 'status' || sub === 'finalize') {
    if (method === 'GET') { res.json(await registry.get(info, ns, name)); return; }
    const opts = writeOpts(req, user);
    if (method === 'PUT') {
      const body = checkBody(res, info, (await decodeBody(req)).value, opts.fieldValidation);
      if (sub === 'finalize') {
        const cur = await registry.get(info, ns, name);
        const next = deepCopy(cur);
        next.spec = { ...(isPlainObject(next.spec) ? next.spec : {}), finalizers: ((body.spec ?? {}) as { finalizers?: string[] }).finalizers ?? [] };
        const r = await registry.update(info, ns, name, next, opts);
        res.json(r.object);
        return;
      }
      const r = await registry.update(info, ns, name, body, { ...opts, subresource: 'status' });
      res.json(r.object);
      return;
    }
    if (method === 'PATCH') {
      const type = patchTypeOf(req);
      const body = (await decodeBody(req)).value;
      const r = await registry.patch(info, ns, name, type, body, { ...opts, subresource: 'status' });
      res.json(r.object);
      return;
    }
    throw StatusError.methodNotAllowed('the server does not allow this method on the requested resource');
  }

  if (sub === 'scale') {
    if (method === 'GET') { res.json(scaleOf(await registry.get(info, ns, name))); return; }
    const opts = writeOpts(req, user);
    let replicas: number;
    if (method === 'PUT') {
      const body = (await decodeBody(req)).value;
      const r = isPlainObject(body) && isPlainObject(body.spec) ? body.spec.replicas : undefined;
      if (typeof r !== 'number') throw StatusError.invalid('Scale', name, [{ type: 'FieldValueRequired', field: 'spec.replicas', detail: 'Required value' }], 'autoscaling');
      replicas = r;
    } else if (method === 'PATCH') {
      const type = patchTypeOf(req);
      const body = (await decodeBody(req)).value;
      const cur = scaleOf(await registry.get(info, ns, name));
      const patched = type === 'json' ? hooks.jsonPatch(cur, body) : hooks.mergePatch(cur, body);
      const r = isPlainObject(patched.spec) ? patched.spec.replicas : undefined;
      if (typeof r !== 'number') throw StatusError.invalid('Scale', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', detail: 'Invalid value: must be an integer' }], 'autoscaling');
      replicas = r;
    } else {
      throw StatusError.methodNotAllowed('the server does not allow this method on the requested resource');
    }
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw StatusError.invalid('Scale', name, [{ type: 'FieldValueInvalid', field: 'spec.replicas', detail: `Invalid value: ${replicas}: must be greater than or equal to 0` }], 'autoscaling');
    }
    const r = await registry.patch(info, ns, name, 'merge', { spec: { replicas } }, opts);
    res.json(scaleOf(r.object));
    return;
  }

  if (sub === 'binding' && method === 'POST') {
    const body = (await decodeBody(req)).value;
    const target = isPlainObject(body) && isPlainObject(body.target) ? body.target.name : undefined;
    if (typeof target !== 'string' || !target) {
      throw StatusError.invalid('Binding', name, [{ type: 'FieldValueRequired', field: 'target.name', detail: 'Required value' }]);
    }
    await bindPod(registry, ns!, name, target);
    res.status(201).json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    return;
  }

  if (sub === 'eviction' && method === 'POST') {
    const body = (await decodeBody(req)).value;
    const delOpts: DeleteOptions = {};
    if (isPlainObject(body) && isPlainObject(body.deleteOptions)) {
      const d = body.deleteOptions;
      if (typeof d.gracePeriodSeconds === 'number') delOpts.gracePeriodSeconds = d.gracePeriodSeconds;
    }
    await hooks.checkEviction(registry, ns!, name);
    await registry.delete(info, ns, name, delOpts);
    res.status(201).json({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    return;
  }

  if (sub === 'log' || sub === 'exec' || sub === 'attach' || sub === 'portforward') {
    const pod = await registry.get(info, ns, name);
    if (!ctx.podStreams) throw new StatusError(503, 'ServiceUnavailable', `no agent serves ${sub} for pod ${name}`);
    await ctx.podStreams.handle(sub, req, res, pod);
    return;
  }
  throw StatusError.methodNotAllowed(`the server does not allow this method on the requested resource (${sub})`);
}

/**
 * Binds a pod to a node: the scheduler's only write. ONE compare-and-swap write sets
 * spec.nodeName and the PodScheduled condition together (as Kubernetes' binding REST does),
 * retried on a concurrent change; 409 when the pod is already bound or being deleted.
 */
export async function bindPod(registry: Registry, namespace: string, name: string, node: string): Promise<KObject> {
  const info = findByKind('v1', 'Pod')!;
  const key = objectKey(info, namespace, name);
  for (let attempt = 0; attempt < 16; attempt++) {
    const sv = await registry.storage.get(key);
    if (!sv) throw StatusError.notFound(info.plural, name, info.group);
    const pod = registry.decode(info, sv);
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    if (pod.metadata.deletionTimestamp) throw StatusError.conflict('pods', name, 'pod is being deleted, cannot be assigned to a host');
    if (spec.nodeName) throw StatusError.conflict('pods', name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
    const next = deepCopy(pod);
    next.spec = { ...(next.spec ?? {}), nodeName: node };
    hooks.trackManagedFields(info, pod, next, 'skiff-scheduler', 'Update');
    const status = (next.status ?? {}) as { conditions?: Record<string, unknown>[] };
    const conds = (status.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
    conds.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    status.conditions = conds;
    next.status = status;
    // The stored form: metadata first, without resourceVersion (the mod revision is the version).
    const { metadata: { resourceVersion: _rv, ...metadata }, ...rest } = next;
    const rev = await registry.storage.update(key, JSON.stringify({ metadata, ...rest }), sv.modRevision);
    if (rev === undefined) continue;
    next.metadata.resourceVersion = String(rev);
    return next;
  }
  throw StatusError.conflict('pods', name, 'the object has been modified; please apply your changes to the latest version and try again');
}
