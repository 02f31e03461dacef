import { createServer as createHttpsServer, Server } from 'node:https';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import express, { NextFunction, Request, Response } from 'express';
import { StatusError, isPlainObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { Registry } from '../registry/store';
import { authenticate, isPublicPath, TokenAuthenticator, UserInfo } from './auth';
import {
  aggregatedDiscovery, AGGREGATED_CONTENT_TYPE, apiResourceList, ExtraGroup, legacyApiGroup, legacyApiGroupList,
  legacyApiVersions, wantsAggregated,
} from './discovery';
import { handleResource, HandlerContext, PodStreams } from './handlers';
import { parseResourcePath } from './request-info';
import { handleConvertedResource, isConvertedRequest } from './converted-resource';
import { decodeBody } from './body';
import * as hooks from '../registry/api-hooks';

export const SKIFF_VERSION = '0.1.0';
/** The Kubernetes API whose behaviour Skiff serves; version-picking kubectl wrappers read `minor`. */
export const KUBE_MINOR = '32';

export interface ApiServerOptions {
  registry: Registry;
  log: Logger;
  tls: { cert: string; key: string; ca: string };
  tokens: TokenAuthenticator[];
  podStreams?: PodStreams;
  /** Extra API groups served by other handlers (metrics.k8s.io). */
  extraGroups?: { group: ExtraGroup; router: express.Router }[];
  /** Readiness checks; /readyz is ok when all resolve true. */
  readiness?: () => Promise<boolean>;
  bookmarkIntervalMs?: number;
  maxWatchSeconds?: number;
  /** Authorizer for SelfSubjectAccessReview and requests; default: everyone authenticated may do everything. */
  authorize?: (user: UserInfo, attrs: { verb: string; group: string; resource: string; namespace?: string; name?: string; subresource?: string }) => Promise<boolean>;
}

declare module 'express-serve-static-core' {
  interface Request {
    skiffUser?: UserInfo;
  }
}

function versionInfo(): Record<string, string> {
  return {
    major: '1', minor: KUBE_MINOR, gitVersion: `v1.${KUBE_MINOR}.0-skiff.${SKIFF_VERSION}`, gitCommit: 'skiff',
    gitTreeState: 'clean', buildDate: '2026-01-01T00:00:00Z', goVersion: `node${process.versions.node}`,
    compiler: 'skiff', platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

function verbOf(req: Request, hasName: boolean): string {
  const m = req.method.toUpperCase();
  if (m === 'GET') return req.query.watch === 'true' || req.query.watch === '1' ? 'watch' : hasName ? 'get' : 'list';
  if (m === 'POST') return 'create';
  if (m === 'PUT') return 'update';
  if (m === 'PATCH') return 'patch';
  if (m === 'DELETE') return hasName ? 'delete' : 'deletecollection';
  return m.toLowerCase();
}

/** Builds the Kubernetes-compatible HTTP API as an express app. */
export function createApiApp(opts: ApiServerOptions): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'extended');
  const ctx: HandlerContext = {
    registry: opts.registry,
    podStreams: opts.podStreams,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000,
    maxWatchSeconds: opts.maxWatchSeconds ?? 1800,
  };
  const log = opts.log.child({ component: 'apiserver' });
  const extra = (opts.extraGroups ?? []).map((e) => e.group);

  // One log line per request: verb, resource, status, latency.
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const ri = parseResourcePath(req.path);
      log.info('request', {
        verb: ri ? verbOf(req, !!ri.name) : req.method.toLowerCase(),
        resource: ri ? [ri.resourceName, ri.subresource].filter(Boolean).join('/') : req.path,
        namespace: ri?.namespace, name: ri?.name, status: res.statusCode, latencyMs: Math.round(ms * 100) / 100,
        user: req.skiffUser?.name,
      });
    });
    next();
  });

  app.use((req, res, next) => {
    authenticate(req, opts.tokens).then((user) => {
      if (user) req.skiffUser = user;
      if (!user && !isPublicPath(req.path)) throw StatusError.unauthorized();
      next();
    }).catch(next);
  });

  app.get('/version', (_req, res) => { res.json(versionInfo()); });
  for (const p of ['/healthz', '/livez']) app.get(p, (_req, res) => { res.type('text/plain').send('ok'); });
  app.get('/readyz', (_req, res, next) => {
    (opts.readiness ? opts.readiness() : Promise.resolve(true)).then((ok) => {
      res.status(ok ? 200 : 500).type('text/plain').send(ok ? 'ok' : 'readyz check failed');
    }).catch(next);
  });

  app.get('/api', (req, res) => {
    if (wantsAggregated(req.headers.accept)) {
      res.setHeader('Content-Type', AGGREGATED_CONTENT_TYPE);
      res.send(JSON.stringify(aggregatedDiscovery(true)));
      return;
    }
    res.json(legacyApiVersions(`${req.socket.localAddress ?? '127.0.0.1'}:${req.socket.localPort ?? 6443}`));
  });
  app.get('/apis', (req, res) => {
    if (wantsAggregated(req.headers.accept)) {
      res.setHeader('Content-Type', AGGREGATED_CONTENT_TYPE);
      res.send(JSON.stringify(aggregatedDiscovery(false, extra)));
      return;
    }
    res.json(legacyApiGroupList(extra));
  });
  app.get('/api/v1', (_req, res) => { res.json(apiResourceList('', 'v1')); });
  app.get('/apis/:group', (req, res, next) => {
    const g = legacyApiGroup(String(req.params.group), extra);
    if (!g) { next(); return; }
    res.json(g);
  });
  app.get('/apis/:group/:version', (req, res, next) => {
    const l = apiResourceList(String(req.params.group), String(req.params.version), extra);
    if (!l) { next(); return; }
    res.json(l);
  });

  app.get('/openapi/v3', (_req, res) => { res.json(hooks.openApiRoot()); });
  app.get(/^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/, (req, res, next) => {
    const path = String((req.params as Record<string, string>)[0]);
    const parts = path.split('/');
    const doc = parts[0] === 'api' ? hooks.openApiDocument('', 'v1') : hooks.openApiDocument(parts[1]!, parts[2]!);
    if (!doc) { next(); return; }
    if (req.query.hash) {
      res.setHeader('Cache-Control', 'public, immutable');
      res.setHeader('ETag', `"${String(req.query.hash)}"`);
    } else {
      res.setHeader('Cache-Control', 'no-cache, private');
    }
    res.json(doc);
  });

  for (const e of opts.extraGroups ?? []) app.use(`/apis/${e.group.group}/${e.group.version}`, e.router);

  // Reviews: questions about the caller, answered without storage.
  app.post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', (req, res, next) => {
    (async () => {
      const body = (await decodeBody(req)).value;
      const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
      const ra = isPlainObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
      const user = req.skiffUser!;
      const allowed = opts.authorize
        ? await opts.authorize(user, { verb: String(ra?.verb ?? ''), group: String(ra?.group ?? ''), resource: String(ra?.resource ?? ''), namespace: ra?.namespace as string | undefined, name: ra?.name as string | undefined, subresource: ra?.subresource as string | undefined })
        : true;
      res.status(201).json({ kind: 'SelfSubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed, ...(allowed ? {} : { reason: 'no RBAC policy matched' }) } });
    })().catch(next);
  });
  app.post('/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', (req, res, next) => {
    (async () => {
      const body = (await decodeBody(req)).value;
      const spec = isPlainObject(body) && isPlainObject(body.spec) ? body.spec : {};
      res.status(201).json({
        kind: 'SelfSubjectRulesReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec,
        status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }], incomplete: false },
      });
    })().catch(next);
  });
  app.post(/^\/apis\/authentication\.k8s\.io\/(v1|v1beta1|v1alpha1)\/selfsubjectreviews$/, (req, res, next) => {
    (async () => {
      await decodeBody(req);
      const u = req.skiffUser!;
      const version = String((req.params as Record<string, string>)[0]);
      res.status(201).json({ kind: 'SelfSubjectReview', apiVersion: `authentication.k8s.io/${version}`, metadata: { creationTimestamp: null }, status: { userInfo: { username: u.name, groups: u.groups, ...(u.uid ? { uid: u.uid } : {}) } } });
    })().catch(next);
  });

  app.use((req, res, next) => {
    const ri = parseResourcePath(req.path);
    if (!ri) { next(); return; }
    if (!ri.resource) {
      next(new StatusError(404, 'NotFound', `the server could not find the requested resource`));
      return;
    }
    (isConvertedRequest(ri) ? handleConvertedResource : handleResource)(ctx, ri, req, res, req.skiffUser).catch(next);
  });

  app.use((_req, _res, next) => { next(new StatusError(404, 'NotFound', 'the server could not find the requested resource')); });

  // The one error handler: every failure leaves as a Kubernetes Status.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status: StatusError;
    if (err instanceof StatusError) status = err;
    else if (isPlainObject(err) && (err as { type?: string }).type === 'entity.too.large') status = StatusError.tooLarge(3 * 1024 * 1024);
    else {
      const e = err as Error;
      log.error('internal error', { path: req.path, error: e?.stack ?? String(err) });
      status = StatusError.internal(e?.message ?? String(err));
    }
    if (res.headersSent) { res.end(); return; }
    res.status(status.code).json(status.toStatus());
  });
  return app;
}

const UPGRADE = Symbol('skiff.upgrade');
type UpgradeCarrier = IncomingMessage & { [UPGRADE]?: { socket: Duplex; head: Buffer; taken: boolean } };

/**
 * Upgrade requests (kubectl exec, attach and port-forward: `Upgrade: websocket`
 * or `Upgrade: SPDY/3.1`) run through the same express app as every other
 * request (authentication, logging, the pod lookup), with a response bound to
 * the raw socket: a handler that does not take the upgrade answers with a
 * normal HTTP response (e.g. a Status error) and the connection closes after it.
 */
export function dispatchUpgrade(app: express.Express, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  (req as UpgradeCarrier)[UPGRADE] = { socket, head, taken: false };
  socket.on('error', () => socket.destroy());
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    if ((req as UpgradeCarrier)[UPGRADE]?.taken) return;
    res.detachSocket(socket as Socket);
    socket.end();
  });
  app(req as express.Request, res as express.Response);
}

/**
 * For the handler of an upgrade request: takes the connection over (the
 * response object is detached from it) and returns the socket and the bytes
 * that came after the request head. Undefined for a request that is not an
 * upgrade, or that was not dispatched by listenHttps.
 */
export function takeUpgrade(req: IncomingMessage, res: ServerResponse): { socket: Duplex; head: Buffer } | undefined {
  const u = (req as UpgradeCarrier)[UPGRADE];
  if (!u || u.taken) return undefined;
  u.taken = true;
  if (res.socket === u.socket) res.detachSocket(u.socket as Socket);
  return { socket: u.socket, head: u.head };
}

export function listenHttps(app: express.Express, opts: { port: number; host: string; tls: { cert: string; key: string; ca: string } }): Promise<Server> {
  const server = createHttpsServer({
    cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca,
    requestCert: true, rejectUnauthorized: false,
  }, app);
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => dispatchUpgrade(app, req, socket, head));
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.requestTimeout = 0;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => { server.off('error', reject); resolve(server); });
  });
}
