import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControlPlane } from '../lib/control-plane';

/** Small deterministic PRNG (mulberry32) so a failure can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = any;

const BASES: { path: string; make: () => Json }[] = [
  { path: '/api/v1/namespaces/default/pods', make: () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'fz', labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'img', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '100m' } } }] } }) },
  { path: '/apis/apps/v1/namespaces/default/deployments', make: () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'fz' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'img' }] } } } }) },
  { path: '/api/v1/namespaces/default/services', make: () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'fz' }, spec: { ports: [{ port: 80, targetPort: 8080 }], selector: { a: 'b' } } }) },
  { path: '/api/v1/namespaces/default/configmaps', make: () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'fz' }, data: { k: 'v' } }) },
  { path: '/apis/batch/v1/namespaces/default/jobs', make: () => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'fz' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'img' }] } } } }) },
  { path: '/apis/batch/v1/namespaces/default/cronjobs', make: () => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'fz' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'img' }] } } } } } }) },
];

/** Mutations that each make the manifest invalid, whatever else is in it. */
const MUTATIONS: { name: string; apply: (o: Json, r: () => number, kind: string) => Json }[] = [
  { name: 'name-uppercase', apply: (o) => { o.metadata.name = 'Bad_Name'; return o; } },
  { name: 'name-too-long', apply: (o, r) => { o.metadata.name = 'a'.repeat(254 + Math.floor(r() * 2000)); return o; } },
  { name: 'name-huge', apply: (o) => { o.metadata.name = 'x'.repeat(1_000_000); return o; } },
  { name: 'name-missing', apply: (o) => { delete o.metadata.name; return o; } },
  { name: 'name-number', apply: (o) => { o.metadata.name = 12345; return o; } },
  { name: 'metadata-array', apply: (o) => { o.metadata = [1, 2, 3]; return o; } },
  { name: 'metadata-string', apply: (o) => { o.metadata = 'meta'; return o; } },
  { name: 'labels-wrong-type', apply: (o) => { o.metadata.labels = { a: 1 }; return o; } },
  { name: 'labels-bad-key', apply: (o) => { o.metadata.labels = { '-bad key-': 'v' }; return o; } },
  { name: 'labels-array', apply: (o) => { o.metadata.labels = ['a']; return o; } },
  { name: 'deep-nesting', apply: (o, r) => { let x: Json = 'leaf'; for (let i = 0; i < 150 + Math.floor(r() * 500); i++) x = { n: x }; o.metadata.annotations = { deep: x }; return o; } },
  { name: 'deep-array-nesting', apply: (o, r) => { let x: Json = 1; for (let i = 0; i < 120 + Math.floor(r() * 200); i++) x = [x]; o.spec = x; return o; } },
  { name: 'spec-string', apply: (o, _r, kind) => { if (kind === 'ConfigMap') o.data = 'x'; else o.spec = 'not an object'; return o; } },
  { name: 'spec-number', apply: (o, _r, kind) => { if (kind === 'ConfigMap') o.data = 7; else o.spec = 42; return o; } },
  { name: 'kind-unknown', apply: (o) => { o.kind = 'Banana'; return o; } },
  { name: 'apiVersion-wrong', apply: (o) => { o.apiVersion = 'nope/v9'; return o; } },
  { name: 'field-wrong-type', apply: (o, r, kind) => {
    switch (kind) {
      case 'Pod': o.spec.containers[0].ports[0].containerPort = r() < 0.5 ? 'eighty' : { p: 1 }; break;
      case 'Deployment': o.spec.replicas = r() < 0.5 ? 'three' : [3]; break;
      case 'Service': o.spec.ports = { port: 80 }; break;
      case 'ConfigMap': o.data = { k: { nested: true } }; break;
      case 'Job': o.spec.completions = 'many'; break;
      default: o.spec.schedule = 5;
    }
    return o;
  } },
  { name: 'required-missing', apply: (o, _r, kind) => {
    switch (kind) {
      case 'Pod': delete o.spec.containers[0].image; break;
      case 'Deployment': delete o.spec.selector; break;
      case 'Service': o.spec.ports = []; break;
      case 'ConfigMap': o.data = { 'bad key!': 'v' }; break;
      case 'Job': o.spec.template.spec.restartPolicy = 'Always'; break;
      default: delete o.spec.schedule;
    }
    return o;
  } },
  { name: 'negative-values', apply: (o, _r, kind) => {
    if (kind === 'Pod') o.spec.containers[0].ports[0].containerPort = -1;
    else if (kind === 'Deployment') o.spec.replicas = -5;
    else if (kind === 'Service') o.spec.ports[0].port = 70000;
    else if (kind === 'Job') o.spec.parallelism = -1;
    else if (kind === 'CronJob') o.spec.schedule = 'every tuesday';
    else o.metadata.name = '';
    return o;
  } },
  { name: 'unknown-field-strict', apply: (o) => { o.spec = { ...(typeof o.spec === 'object' ? o.spec : {}), zzUnknown: 1 }; o.__strict = true; return o; } },
  { name: 'containers-object', apply: (o, _r, kind) => {
    if (kind === 'Pod') o.spec.containers = { name: 'c' };
    else if (kind === 'Deployment') o.spec.template.spec.containers = 'c';
    else if (kind === 'Service') o.spec.selector = ['a'];
    else if (kind === 'ConfigMap') o.binaryData = { k: 'not base64 !!!' };
    else if (kind === 'Job') o.spec.template = [];
    else o.spec.jobTemplate = 'x';
    return o;
  } },
  { name: 'quantity-garbage', apply: (o, _r, kind) => {
    if (kind === 'Pod') o.spec.containers[0].resources = { limits: { cpu: 'lots' } };
    else if (kind === 'Deployment') o.spec.template.spec.containers[0].resources = { requests: { memory: '12QB' } };
    else o.metadata.name = '..';
    return o;
  } },
];

describe('fuzzed manifests', () => {
  let cp: ControlPlane;
  before(async () => { cp = await ControlPlane.start(); });
  after(async () => { await cp?.stop(); });

  it('answers 1000+ mutated manifests with a 4xx Status and keeps serving', async () => {
    const r = rng(20261121);
    const before = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps')).body) as { items: unknown[] };
    const failures: string[] = [];
    let sent = 0;
    const check = (label: string, res: { status: number; body: string }): void => {
      sent++;
      let status: Json;
      try { status = JSON.parse(res.body); } catch { status = undefined; }
      if (res.status < 400 || res.status >= 500 || status?.kind !== 'Status' || status.code !== res.status) {
        failures.push(`${label}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
      }
    };
    for (let i = 0; i < 1050; i++) {
      const base = BASES[Math.floor(r() * BASES.length)]!;
      const obj = base.make();
      const kind = obj.kind as string;
      const nMut = 1 + Math.floor(r() * 2);
      const names: string[] = [];
      let o = obj;
      for (let m = 0; m < nMut; m++) {
        const mut = MUTATIONS[Math.floor(r() * MUTATIONS.length)]!;
        try {
          o = mut.apply(o, r, kind);
          names.push(mut.name);
        } catch {
          // An earlier mutation changed the shape this one expects; the object is invalid already.
        }
      }
      const strict = o.__strict === true || r() < 0.5;
      delete o.__strict;
      const method = r() < 0.8 ? 'POST' : 'PUT';
      const path = method === 'POST' ? base.path : `${base.path}/fz`;
      const body = JSON.stringify(o);
      const res = await cp.rawRequest(method, `${path}?fieldValidation=${strict ? 'Strict' : 'Warn'}`, { body });
      check(`#${i} ${method} ${kind} [${names.join(',')}]`, res);
    }
    // Bodies that are not manifests at all.
    const garbage: { label: string; body: string | Buffer; type: string }[] = [
      { label: 'truncated json', body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":', type: 'application/json' },
      { label: 'yaml garbage', body: 'a: [b\n  - c: }', type: 'application/yaml' },
      { label: 'protobuf garbage', body: Buffer.from([0x6b, 0x38, 0x73, 0x00, 0xff, 0xff, 0x01, 0x02]), type: 'application/vnd.kubernetes.protobuf' },
      { label: 'protobuf no magic', body: Buffer.from('hello'), type: 'application/vnd.kubernetes.protobuf' },
      { label: 'unknown media type', body: 'x', type: 'application/x-bananas' },
      { label: 'json array', body: '[1,2,3]', type: 'application/json' },
      { label: 'json string', body: '"hello"', type: 'application/json' },
      { label: 'over 3 MiB', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, data: { k: 'x'.repeat(3 * 1024 * 1024 + 10) } }), type: 'application/json' },
    ];
    for (const g of garbage) {
      const res = await cp.rawRequest('POST', '/api/v1/namespaces/default/configmaps', { body: g.body, headers: { 'Content-Type': g.type } });
      check(g.label, res);
    }
    assert.ok(sent >= 1000, `sent ${sent}`);
    assert.deepEqual(failures, []);
    // Still serving, and nothing was half-written.
    assert.equal((await cp.rawGet('/readyz')).status, 200);
    const afterList = JSON.parse((await cp.rawGet('/api/v1/namespaces/default/configmaps')).body) as { items: unknown[] };
    assert.equal(afterList.items.length, before.items.length);
    const ok = await cp.rawRequest('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-fuzz' }, data: { a: 'b' } }) });
    assert.equal(ok.status, 201);
  });
});
