import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { ControlPlane } from '../lib/control-plane';
import { percentile, printPairs, timeIt } from './stats';

const N_SINGLE = Number(process.env.SKIFF_BENCH_SINGLE ?? 500);
const N_LIST = Number(process.env.SKIFF_BENCH_LIST ?? 5000);
const N_WATCH = Number(process.env.SKIFF_BENCH_WATCH ?? 200);

function podJson(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'bench', idx: name } },
    spec: { containers: [{ name: 'c', image: 'skiff/busybox:latest', command: ['sleep', '3600'], resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
  };
}

class Client {
  private readonly agent: Agent;
  private readonly cert: Buffer;
  private readonly key: Buffer;
  constructor(private readonly port: number, dir: string) {
    this.cert = readFileSync(join(dir, 'pki/admin.crt'));
    this.key = readFileSync(join(dir, 'pki/admin.key'));
    this.agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false, cert: this.cert, key: this.key });
  }

  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: string }> {
    return new Promise((res, rej) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request({ host: '127.0.0.1', port: this.port, method, path, agent: this.agent, headers: { Accept: 'application/json', ...(data ? { 'Content-Type': 'application/json' } : {}) } }, (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      });
      req.on('error', rej);
      req.end(data);
    });
  }

  /** Opens a watch and calls onEvent for each line. */
  watch(path: string, onEvent: (ev: { type: string; object: { metadata: { name: string; resourceVersion: string } } }) => void): Promise<() => void> {
    return new Promise((res, rej) => {
      const req = request({ host: '127.0.0.1', port: this.port, method: 'GET', path, agent: new Agent({ rejectUnauthorized: false, cert: this.cert, key: this.key }) }, (r) => {
        if (r.statusCode !== 200) { rej(new Error(`watch: HTTP ${r.statusCode}`)); return; }
        let buf = '';
        r.on('data', (c: Buffer) => {
          buf += c.toString();
          let i;
          while ((i = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line) onEvent(JSON.parse(line));
          }
        });
        res(() => req.destroy());
      });
      req.on('error', (e) => { if (!(e as { code?: string }).code?.includes('ECONNRESET')) rej(e); });
      req.end();
    });
  }
}

export async function benchApi(): Promise<void> {
  const cp = await ControlPlane.start();
  const etcd = new Etcd3({ hosts: cp.etcd.clientUrl });
  try {
    const api = new Client(cp.port, cp.dir);
    const rawPrefix = '/bench-raw/pods/default/';
    // Warm up both paths.
    for (let i = 0; i < 50; i++) {
      await api.call('POST', '/api/v1/namespaces/default/pods', podJson(`warm-${i}`));
      await etcd.put(`${rawPrefix}warm-${i}`).value(JSON.stringify(podJson(`warm-${i}`)));
    }

    const apiCreate: number[] = [];
    const rawCreate: number[] = [];
    const apiGet: number[] = [];
    const rawGet: number[] = [];
    const apiUpdate: number[] = [];
    const rawUpdate: number[] = [];
    for (let i = 0; i < N_SINGLE; i++) {
      const name = `p-${i}`;
      const body = podJson(name);
      apiCreate.push(await timeIt(async () => {
        const r = await api.call('POST', '/api/v1/namespaces/default/pods', body);
        if (r.status !== 201) throw new Error(`create: ${r.status} ${r.body}`);
      }));
      rawCreate.push(await timeIt(() => etcd.if(`${rawPrefix}${name}`, 'Create', '==', 0).then(etcd.put(`${rawPrefix}${name}`).value(JSON.stringify(body))).commit()));
    }
    for (let i = 0; i < N_SINGLE; i++) {
      const name = `p-${i}`;
      let got: Record<string, any> = {};
      apiGet.push(await timeIt(async () => { got = JSON.parse((await api.call('GET', `/api/v1/namespaces/default/pods/${name}`)).body); }));
      rawGet.push(await timeIt(async () => { JSON.parse((await etcd.get(`${rawPrefix}${name}`).string()) ?? '{}'); }));
      got.metadata.labels.touched = 'yes';
      apiUpdate.push(await timeIt(async () => {
        const r = await api.call('PUT', `/api/v1/namespaces/default/pods/${name}`, got);
        if (r.status !== 200) throw new Error(`update: ${r.status} ${r.body}`);
      }));
      const raw = await etcd.get(`${rawPrefix}${name}`).exec();
      const kv = raw.kvs[0]!;
      rawUpdate.push(await timeIt(() => etcd.if(`${rawPrefix}${name}`, 'Mod', '==', Number(kv.mod_revision)).then(etcd.put(`${rawPrefix}${name}`).value(kv.value.toString())).commit()));
    }

    // Fill up to N_LIST pods on both sides.
    process.stdout.write(`measured ${N_SINGLE} create/get/update; filling ${N_LIST} pods...\n`);
    const fill = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) {
        const name = `p-${i}`;
        await api.call('POST', '/api/v1/namespaces/default/pods', podJson(name));
        await etcd.put(`${rawPrefix}${name}`).value(JSON.stringify(podJson(name)));
      }
    };
    const per = Math.ceil((N_LIST - N_SINGLE - 50) / 4);
    await Promise.all([0, 1, 2, 3].map((k) => fill(N_SINGLE + k * per, Math.min(N_LIST - 50, N_SINGLE + (k + 1) * per))));
    const apiList: number[] = [];
    const rawList: number[] = [];
    let listed = 0;
    for (let i = 0; i < 10; i++) {
      apiList.push(await timeIt(async () => { listed = (JSON.parse((await api.call('GET', '/api/v1/namespaces/default/pods')).body) as { items: unknown[] }).items.length; }));
      rawList.push(await timeIt(async () => {
        const all = await etcd.getAll().prefix(rawPrefix).strings();
        for (const v of Object.values(all)) JSON.parse(v);
      }));
    }
    if (listed < N_LIST) throw new Error(`listed only ${listed} pods`);
    process.stdout.write(`listed ${listed} pods; measuring watch delivery...\n`);

    // Watch delivery: one write through etcd, seen by a raw etcd watcher and by an API watch.
    const listRV = (JSON.parse((await api.call('GET', '/api/v1/namespaces/default/pods?limit=1')).body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const pending = new Map<string, { start: bigint; api?: number; raw?: number; done: () => void }>();
    const stopApi = await api.watch(`/api/v1/namespaces/default/pods?watch=true&resourceVersion=${listRV}`, (ev) => {
      if (process.env.SKIFF_BENCH_DEBUG) process.stdout.write(`api event ${ev.type} ${ev.object.metadata.name}\n`);
      const p = pending.get(ev.object.metadata.name);
      if (p && p.api === undefined) { p.api = Number(process.hrtime.bigint() - p.start) / 1e6; if (p.raw !== undefined) p.done(); }
    });
    if (process.env.SKIFF_BENCH_DEBUG) process.stdout.write('api watch open\n');
    const watcher = await etcd.watch().prefix('/registry/core/pods/default/w-').create();
    watcher.on('put', (kv) => {
      const name = kv.key.toString().split('/').pop()!;
      const p = pending.get(name);
      if (p && p.raw === undefined) { p.raw = Number(process.hrtime.bigint() - p.start) / 1e6; if (p.api !== undefined) p.done(); }
    });
    if (process.env.SKIFF_BENCH_DEBUG) process.stdout.write('raw watch open\n');
    const apiWatch: number[] = [];
    const rawWatch: number[] = [];
    for (let i = 0; i < N_WATCH; i++) {
      const name = `w-${i}`;
      const base = podJson(name);
      const obj = { ...base, metadata: { ...(base.metadata as Record<string, unknown>), uid: `u-${i}`, creationTimestamp: new Date().toISOString() } };
      await new Promise<void>((done) => {
        pending.set(name, { start: process.hrtime.bigint(), done });
        void etcd.put(`/registry/core/pods/default/${name}`).value(JSON.stringify(obj)).exec();
      });
      const p = pending.get(name)!;
      apiWatch.push(p.api!);
      rawWatch.push(p.raw!);
    }
    stopApi();
    await watcher.cancel();

    const p50 = (v: number[]): number => percentile(v, 50);
    printPairs(`API vs raw etcd3 (same etcd, same JSON; p50 unless noted; ${N_SINGLE} samples, list of ${N_LIST})`, [
      { name: 'create p50', ours: p50(apiCreate), raw: p50(rawCreate), goal: 2 },
      { name: 'create p99', ours: percentile(apiCreate, 99), raw: percentile(rawCreate, 99) },
      { name: 'get p50', ours: p50(apiGet), raw: p50(rawGet), goal: 2 },
      { name: 'get p99', ours: percentile(apiGet, 99), raw: percentile(rawGet, 99) },
      { name: 'update p50', ours: p50(apiUpdate), raw: p50(rawUpdate) },
      { name: `list ${N_LIST} p50`, ours: p50(apiList), raw: p50(rawList), goal: 3 },
      { name: 'watch delivery p50', ours: p50(apiWatch), raw: p50(rawWatch), goal: 2 },
      { name: 'watch delivery p99', ours: percentile(apiWatch, 99), raw: percentile(rawWatch, 99) },
    ]);
  } finally {
    etcd.close();
    await cp.stop();
  }
}
