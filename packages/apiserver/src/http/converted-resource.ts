import type { Request, Response } from 'express';
import {
  apiVersionOf, ConversionError, converterFor, isPlainObject, KObject, ResourceInfo, StatusError, storageInfoOf, VersionConverter,
} from '@skiff/api';
import { buildTable, type Table } from '../tables';
import { decodeBody, patchTypeOf, wantsTable } from './body';
import {
  checkBody, deleteOpts, HandlerContext, includeObject, q, qBool, qInt, stripDirectives, writeOpts,
} from './handlers';
import type { RequestInfo } from './request-info';
import { serveWatch } from './watch-stream';
import * as hooks from '../registry/api-hooks';
import type { UserInfo } from './auth';

const PATCH_RETRIES = 16;

/** True when the request names a version served by conversion (e.g. autoscaling/v1 HPAs). */
export function isConvertedRequest(ri: RequestInfo): boolean {
  return !!ri.resource?.storageVersion;
}

/**
 * A resource request on a version served by conversion. Bodies are checked against the served
 * version's schema, converted to the storage version and written through the registry as any
 * write is; everything that goes back (objects, list items, watch events, table rows with
 * objects) is converted to the served version. Patches are applied in the served version, to
 * the stored object converted, so they mean what the client meant.
 */
export async function handleConvertedResource(ctx: HandlerContext, ri: RequestInfo, req: Request, res: Response, user?: UserInfo): Promise<void> {
  const served = ri.resource!;
  const storage = storageInfoOf(served);
  const conv = converterFor(served);
  if (!conv) throw StatusError.internal(`no converter for ${apiVersionOf(served)} ${served.kind}`);
  const { registry } = ctx;
  const ns = served.namespaced ? ri.namespace : undefined;
  if ((served.namespaced && ri.name && ri.namespace === undefined) || (!served.namespaced && ri.namespace !== undefined)) {
    throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
  }
  const method = req.method.toUpperCase();
  const out = (o: KObject): KObject => conv.fromStorage(o);
  const toStorage = (o: KObject): KObject => convertIn(conv, served, o);
  const table = (items: KObject[], resourceVersion?: string, continueToken?: string): Table => {
    const t = buildTable(storage, items, { includeObject: includeObject(req), now: new Date(), resourceVersion, continueToken });
    if (includeObject(req) === 'Object') t.rows.forEach((row, i) => { row.object = out(items[i]!); });
    return t;
  };

  if (ri.subresource) {
    if (ri.subresource !== 'status' || !served.subresources.some((s) => s.name === 'status')) {
      throw new StatusError(404, 'NotFound', `the server could not find the requested resource (${method.toLowerCase()} ${served.plural}/${ri.subresource} ${ri.name ?? ''})`);
    }
    const name = ri.name!;
    if (method === 'GET') { res.json(out(await registry.get(storage, ns, name))); return; }
    const opts = writeOpts(req, user);
    if (method === 'PUT') {
      const body = checkBody(res, served, (await decodeBody(req)).value, opts.fieldValidation);
      const r = await registry.update(storage, ns, name, toStorage(body), { ...opts, subresource: 'status' });
      res.json(out(r.object));
      return;
    }
    if (method === 'PATCH') {
      res.json(out(await patchConverted(ctx, conv, served, storage, ns, name, req, res, opts, 'status')));
      return;
    }
    throw StatusError.methodNotAllowed('the server does not allow this method on the requested resource');
  }

  if (!ri.name) {
    switch (method) {
      case 'GET': {
        const labelSelector = q(req, 'labelSelector');
        const fieldSelector = q(req, 'fieldSelector');
        if (qBool(req, 'watch')) {
          await serveWatch(req, res, registry, storage, ns, {
            labelSelector, fieldSelector, resourceVersion: q(req, 'resourceVersion'),
            timeoutSeconds: qInt(req, 'timeoutSeconds'), allowWatchBookmarks: qBool(req, 'allowWatchBookmarks'),
            sendInitialEvents: qBool(req, 'sendInitialEvents') || !q(req, 'resourceVersion') || q(req, 'resourceVersion') === '0',
            asTable: wantsTable(req), includeObject: includeObject(req),
            bookmarkIntervalMs: ctx.bookmarkIntervalMs, maxTimeoutSeconds: ctx.maxWatchSeconds,
            servedAs: { info: served, convert: out },
          });
          return;
        }
        const result = await registry.list(storage, ns, { labelSelector, fieldSelector, limit: qInt(req, 'limit'), continue: q(req, 'continue'), resourceVersion: q(req, 'resourceVersion') });
        if (wantsTable(req)) { res.json(table(result.items, result.resourceVersion, result.continue)); return; }
        const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) metadata.continue = result.continue;
        res.json({ kind: `${served.kind}List`, apiVersion: apiVersionOf(served), metadata, items: result.items.map(out) });
        return;
      }
      case 'POST': {
        const opts = writeOpts(req, user);
        const body = checkBody(res, served, (await decodeBody(req)).value, opts.fieldValidation);
        res.status(201).json(out(await registry.create(storage, ns, toStorage(body), opts)));
        return;
      }
      case 'DELETE': {
        const opts = await deleteOpts(req);
        const items = await registry.deleteCollection(storage, ns, { labelSelector: q(req, 'labelSelector'), fieldSelector: q(req, 'fieldSelector') }, opts);
        res.json({ kind: `${served.kind}List`, apiVersion: apiVersionOf(served), metadata: {}, items: items.map(out) });
        return;
      }
      default:
        throw StatusError.methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }

  const name = ri.name;
  switch (method) {
    case 'GET': {
      const obj = await registry.get(storage, ns, name);
      if (wantsTable(req)) { res.json(table([obj], obj.metadata.resourceVersion)); return; }
      res.json(out(obj));
      return;
    }
    case 'PUT': {
      const opts = writeOpts(req, user);
      const body = checkBody(res, served, (await decodeBody(req)).value, opts.fieldValidation);
      const r = await registry.update(storage, ns, name, toStorage(body), opts);
      res.status(r.created ? 201 : 200).json(out(r.object));
      return;
    }
    case 'PATCH': {
      const opts = writeOpts(req, user);
      res.json(out(await patchConverted(ctx, conv, served, storage, ns, name, req, res, opts)));
      return;
    }
    case 'DELETE': {
      const opts = await deleteOpts(req);
      res.status(200).json(out(await registry.delete(storage, ns, name, opts)));
      return;
    }
    default:
      throw StatusError.methodNotAllowed('the server does not allow this method on the requested resource');
  }
}

function convertIn(conv: VersionConverter, served: ResourceInfo, obj: KObject): KObject {
  try {
    return conv.toStorage(obj);
  } catch (e) {
    if (!(e instanceof ConversionError)) throw e;
    throw StatusError.badRequest(
      `${served.kind} in version "${served.version}" cannot be converted to version "${served.storageVersion ?? ''}": ${e.message}`,
      [{ reason: 'FieldValueInvalid', message: e.detail, field: e.field }],
    );
  }
}

/**
 * Applies a JSON, merge or strategic merge patch in the served version and writes the result
 * as an update guarded by the resourceVersion it was computed from (retried on conflict unless
 * the patch itself named a resourceVersion). Server-side apply is refused with 415: its field
 * ownership is kept in the storage version.
 */
async function patchConverted(
  ctx: HandlerContext, conv: VersionConverter, served: ResourceInfo, storage: ResourceInfo, ns: string | undefined, name: string,
  req: Request, res: Response, opts: ReturnType<typeof writeOpts>, subresource?: 'status',
): Promise<KObject> {
  const type = patchTypeOf(req);
  if (type === 'apply') {
    throw new StatusError(415, 'UnsupportedMediaType',
      `server-side apply is not supported for ${served.plural} in ${apiVersionOf(served)}; apply the object as ${apiVersionOf(storage)} instead`);
  }
  const body = (await decodeBody(req)).value;
  if (type === 'json' ? !Array.isArray(body) : !isPlainObject(body)) {
    throw StatusError.badRequest(type === 'json' ? 'the JSON patch must be a list of operations' : 'the patch must be a JSON or YAML object');
  }
  if (type !== 'json') checkBody(res, served, stripDirectives(body), opts.fieldValidation, 'patch');
  for (let attempt = 0; ; attempt++) {
    const current = await ctx.registry.get(storage, ns, name);
    const base = conv.fromStorage(current);
    let patched: KObject;
    switch (type) {
      case 'json': patched = hooks.jsonPatch(base, body); break;
      case 'merge': patched = hooks.mergePatch(base, body); break;
      default: patched = hooks.strategicPatch(served, base, body); break;
    }
    if (!isPlainObject(patched.metadata)) patched.metadata = {};
    const pinned = patched.metadata.resourceVersion !== undefined && patched.metadata.resourceVersion !== current.metadata.resourceVersion;
    if (!pinned) patched.metadata.resourceVersion = current.metadata.resourceVersion;
    try {
      const r = await ctx.registry.update(storage, ns, name, convertIn(conv, served, patched), subresource ? { ...opts, subresource } : opts);
      return r.object;
    } catch (e) {
      if (!pinned && e instanceof StatusError && e.code === 409 && attempt < PATCH_RETRIES) continue;
      throw e;
    }
  }
}
