import type { Request, Response } from 'express';
import { apiVersionOf, KObject, ResourceInfo, StatusError } from '@skiff/api';
import type { Registry, WatchEvent } from '../registry/store';
import { buildTable } from '../tables';

export interface WatchStreamOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
  asTable: boolean;
  includeObject: 'None' | 'Object' | 'Metadata';
  /** How often bookmarks go out when allowed. */
  bookmarkIntervalMs: number;
  /** Upper bound for watches without timeoutSeconds. */
  maxTimeoutSeconds: number;
  /** A version served by conversion: events are converted from the storage version `info` names. */
  servedAs?: { info: ResourceInfo; convert(obj: KObject): KObject };
}

/**
 * Serves one watch: newline-delimited JSON events, chunked, until the timeout, a client
 * disconnect or a storage error (sent as an ERROR event carrying a Status, e.g. 410 Expired).
 */
export async function serveWatch(
  req: Request, res: Response, registry: Registry, info: ResourceInfo, namespace: string | undefined, opts: WatchStreamOptions,
): Promise<void> {
  let lastRV = opts.resourceVersion ?? '0';
  let headerSent = false;
  let finished = false;
  let firstTable = true;
  const timers: NodeJS.Timeout[] = [];
  let handle: { close(): void } | undefined;

  const finish = (): void => {
    if (finished) return;
    finished = true;
    for (const t of timers) clearTimeout(t), clearInterval(t);
    handle?.close();
    if (headerSent) res.end();
  };

  const sendHeader = (): void => {
    if (headerSent) return;
    headerSent = true;
    res.status(200);
    res.setHeader('Content-Type', 'application/json');
    res.setHeader('Cache-Control', 'no-cache, private');
    res.flushHeaders();
  };

  const write = (type: WatchEvent['type'], object: unknown): void => {
    if (finished) return;
    sendHeader();
    res.write(JSON.stringify({ type, object }) + '\n');
  };

  const emit = (ev: WatchEvent): void => {
    if (ev.object.metadata.resourceVersion) lastRV = ev.object.metadata.resourceVersion;
    if (opts.asTable && ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') {
      const table = buildTable(info, [ev.object], { includeObject: opts.includeObject, now: new Date(), resourceVersion: lastRV, omitHeaders: !firstTable });
      firstTable = false;
      if (opts.servedAs && opts.includeObject === 'Object') for (const row of table.rows) row.object = opts.servedAs.convert(ev.object);
      write(ev.type, table);
      return;
    }
    write(ev.type, opts.servedAs && ev.type !== 'ERROR' ? opts.servedAs.convert(ev.object) : ev.object);
  };

  const bookmark = (): void => {
    const obj: KObject = { kind: info.kind, apiVersion: apiVersionOf(opts.servedAs?.info ?? info), metadata: { resourceVersion: lastRV } };
    write('BOOKMARK', obj);
  };

  req.on('close', finish);
  res.on('close', finish);

  try {
    const h = await registry.watch(info, namespace, {
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      resourceVersion: opts.resourceVersion,
      sendInitialEvents: opts.sendInitialEvents,
    }, emit, (err) => {
      write('ERROR', err.toStatus());
      finish();
    });
    handle = h;
    if (finished) { h.close(); return; }
    if (lastRV === '0' || lastRV === '') lastRV = String(h.startRevision);
    sendHeader();
    if (opts.sendInitialEvents && opts.allowWatchBookmarks) {
      // The end of the initial events, as Kubernetes marks it for watch-list clients.
      const obj: KObject = { kind: info.kind, apiVersion: apiVersionOf(opts.servedAs?.info ?? info), metadata: { resourceVersion: lastRV, annotations: { 'k8s.io/initial-events-end': 'true' } } };
      write('BOOKMARK', obj);
    }
  } catch (e) {
    if (e instanceof StatusError && e.code === 410) {
      // Kubernetes answers a too-old watch with 200 and an ERROR event carrying 410.
      write('ERROR', e.toStatus());
      finish();
      return;
    }
    finish();
    throw e;
  }
  const timeout = Math.min(opts.timeoutSeconds && opts.timeoutSeconds > 0 ? opts.timeoutSeconds : opts.maxTimeoutSeconds, opts.maxTimeoutSeconds);
  timers.push(setTimeout(finish, timeout * 1000));
  if (opts.allowWatchBookmarks) timers.push(setInterval(bookmark, opts.bookmarkIntervalMs));
}
