import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { StatusError } from '@skiff/api';
import {
  K8S_PROTOBUF_MAGIC,
  K8sProtobufDecodeError,
  K8sProtobufUnsupportedKindError,
  decodeK8sMessage,
  decodeK8sProtobuf,
  formatDuration,
  isK8sProtobuf,
  k8sProtoDir,
  loadK8sProtoRoot,
  protobufMessageTypeFor,
  supportedProtobufKinds,
  wrapK8sProtobuf,
} from './index';

/** The fixtures live in src/; from dist/protobuf they are at ../../src/protobuf/fixtures. */
function fixturesDir(): string {
  const candidates = [path.join(__dirname, 'fixtures'), path.resolve(__dirname, '../../src/protobuf/fixtures')];
  const found = candidates.find((d) => fs.existsSync(path.join(d, 'kubectl')));
  if (!found) throw new Error(`fixtures not found in ${candidates.join(', ')}`);
  return found;
}

const FIXTURES = fixturesDir();

function fixturePairs(sub: string): Array<{ name: string; bin: Buffer; json: Record<string, unknown> }> {
  const dir = path.join(FIXTURES, sub);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -4);
      return {
        name,
        bin: fs.readFileSync(path.join(dir, f)),
        json: JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>,
      };
    });
}

/** Go prints nil slices / pointers without omitempty as null; the decoder leaves them out. */
function dropNulls(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => dropNulls(x));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === null && k !== 'creationTimestamp') continue;
      out[k] = dropNulls(x, k);
    }
    return out;
  }
  void key;
  return v;
}

const Unknown = () => loadK8sProtoRoot().lookupType('k8s.io.apimachinery.pkg.runtime.Unknown');

function encode(typeName: string, value: Record<string, unknown>): Uint8Array {
  const type = loadK8sProtoRoot().lookupType(typeName);
  return type.encode(type.create(value)).finish();
}

function expectStatus(fn: () => unknown, code: number, pattern?: RegExp): StatusError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof StatusError, `expected a StatusError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  if (pattern) assert.match(caught.message, pattern);
  return caught;
}

// ---------------------------------------------------------------------------------------------

test('isK8sProtobuf', () => {
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isK8sProtobuf('Application/VND.Kubernetes.Protobuf; charset=binary'), true);
  assert.equal(isK8sProtobuf(' application/vnd.kubernetes.protobuf;stream=watch'), true);
  assert.equal(isK8sProtobuf(['application/vnd.kubernetes.protobuf']), true);
  assert.equal(isK8sProtobuf('application/json'), false);
  assert.equal(isK8sProtobuf('application/vnd.kubernetes.protobuf+json'), false);
  assert.equal(isK8sProtobuf(''), false);
  assert.equal(isK8sProtobuf(undefined), false);
  assert.equal(isK8sProtobuf(null), false);
});

test('the schemas load from <repo>/proto/k8s', () => {
  const dir = k8sProtoDir();
  assert.equal(path.basename(dir), 'k8s');
  assert.equal(path.basename(path.dirname(dir)), 'proto');
  assert.ok(fs.existsSync(path.join(dir, 'core.proto')));
  const root = loadK8sProtoRoot();
  assert.equal(loadK8sProtoRoot(), root, 'loaded once');
  for (const { apiVersion, kind } of supportedProtobufKinds()) {
    const typeName = protobufMessageTypeFor(apiVersion, kind);
    assert.ok(typeName, `${apiVersion}/${kind}`);
    assert.ok(root.lookupType(typeName), typeName);
  }
});

test('kubectl 1.32 request bodies decode to the JSON kubectl would send', () => {
  const pairs = fixturePairs('kubectl');
  assert.ok(pairs.length >= 11);
  const names = pairs.map((p) => p.name);
  for (const required of [
    'create-configmap', 'create-secret-generic', 'create-deployment', 'create-namespace', 'create-service-clusterip',
    'create-service-nodeport', 'create-job', 'create-cronjob', 'auth-can-i', 'auth-can-i-list', 'auth-whoami',
  ]) {
    assert.ok(names.includes(required), `fixture ${required}`);
  }
  for (const { name, bin, json } of pairs) {
    const decoded = decodeK8sProtobuf(bin);
    assert.equal(decoded.apiVersion, json['apiVersion'], name);
    assert.equal(decoded.kind, json['kind'], name);
    if (name.startsWith('create-') && name !== 'create-token') {
      assert.deepEqual(decoded.object, json, name); // --dry-run=client -o json: exact
    } else {
      assert.deepEqual(dropNulls(decoded.object), dropNulls(json), name); // kubectl 1.31 JSON body
    }
  }
});

test('spot checks on the captured objects', () => {
  const read = (n: string) => decodeK8sProtobuf(fs.readFileSync(path.join(FIXTURES, 'kubectl', `${n}.bin`))).object;

  const secret = read('create-secret-generic');
  assert.deepEqual(secret['data'], { p: Buffer.from('q').toString('base64') });

  const svc = read('create-service-nodeport') as { spec: { ports: Array<Record<string, unknown>> } };
  assert.deepEqual(svc.spec.ports[0], { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 });

  const deploy = read('create-deployment') as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  assert.equal(deploy.metadata['creationTimestamp'], null);
  assert.equal(deploy.spec['replicas'], 2);
  assert.deepEqual(deploy.spec['strategy'], {});

  const ssar = read('auth-can-i');
  assert.deepEqual(ssar['spec'], { resourceAttributes: { namespace: 'default', verb: 'create', resource: 'pods' } });
  assert.deepEqual(ssar['status'], { allowed: false });

  assert.deepEqual(read('auth-can-i-list')['spec'], { namespace: 'default' });
  assert.deepEqual(read('auth-whoami')['status'], { userInfo: {} });
});

test('every declared field converts exactly as the Kubernetes Go types print it (oracle fixtures)', () => {
  const pairs = fixturePairs('oracle');
  assert.ok(pairs.some((p) => p.name === 'zero-deployment') && pairs.some((p) => p.name === 'full-deployment'));
  for (const { name, bin, json } of pairs) {
    assert.deepEqual(decodeK8sProtobuf(bin).object, json, name);
  }
});

// ---------------------------------------------------------------------------------------------
// Conversions

test('proto2 presence: unset and zero-valued omitempty fields are left out, pointers kept', () => {
  const raw = encode('k8s.io.api.apps.v1.Deployment', {
    metadata: { name: 'd', generateName: '', generation: 0, labels: {} },
    spec: { replicas: 0, minReadySeconds: 0, paused: false, template: { spec: { containers: [{ name: 'c', image: '', ports: [] }] } } },
  });
  const { object } = decodeK8sProtobuf(wrapK8sProtobuf('apps/v1', 'Deployment', raw));
  assert.deepEqual(object, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd' },
    spec: { replicas: 0, template: { spec: { containers: [{ name: 'c' }] } } },
  });
});

test('Time, IntOrString, Quantity, bytes, inline structs and json_name', () => {
  const raw = encode('k8s.io.api.apps.v1.Deployment', {
    metadata: {
      name: 'd',
      creationTimestamp: { seconds: 1700000000, nanos: 999 },
      deletionTimestamp: {},
      managedFields: [{ manager: 'm', time: { seconds: 0 }, fieldsV1: { Raw: Buffer.from('{"f:spec":{}}') } }],
    },
    spec: {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: { type: 1, strVal: '25%' }, maxSurge: { type: 0, intVal: 3 } } },
      template: {
        spec: {
          volumes: [{ name: 'v', volumeSource: { configMap: { localObjectReference: { name: 'cm' }, defaultMode: 420 } } }],
          containers: [{
            name: 'c',
            resources: { limits: { cpu: { string: '500m' } }, requests: { memory: { string: '1Gi' } } },
            env: [{ name: 'E', valueFrom: { secretKeyRef: { localObjectReference: { name: 's' }, key: 'k' } } }],
            readinessProbe: { handler: { httpGet: { path: '/', port: { type: 1, strVal: 'http' } } }, periodSeconds: 5 },
          }],
          securityContext: { supplementalGroups: [1000, 2000], fsGroup: 0 },
        },
      },
    },
  });
  const { object } = decodeK8sProtobuf(wrapK8sProtobuf('apps/v1', 'Deployment', raw));
  assert.deepEqual(object['metadata'], {
    name: 'd',
    creationTimestamp: '2023-11-14T22:13:20Z',
    deletionTimestamp: null,
    managedFields: [{ manager: 'm', time: '1970-01-01T00:00:00Z', fieldsV1: { 'f:spec': {} } }],
  });
  assert.deepEqual(object['spec'], {
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 3 } },
    template: {
      spec: {
        volumes: [{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }],
        containers: [{
          name: 'c',
          resources: { limits: { cpu: '500m' }, requests: { memory: '1Gi' } },
          env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
        }],
        securityContext: { supplementalGroups: [1000, 2000], fsGroup: 0 },
      },
    },
  });

  const secret = decodeK8sProtobuf(wrapK8sProtobuf('v1', 'Secret', encode('k8s.io.api.core.v1.Secret', {
    data: { bin: Buffer.from([0, 255, 1]), empty: Buffer.alloc(0) },
    stringData: { s: 'x' },
    immutable: false,
  }))).object;
  assert.deepEqual(secret, { apiVersion: 'v1', kind: 'Secret', data: { bin: 'AP8B', empty: '' }, stringData: { s: 'x' }, immutable: false });

  const token = decodeK8sProtobuf(wrapK8sProtobuf('authentication.k8s.io/v1', 'TokenRequest', encode('k8s.io.api.authentication.v1.TokenRequest', {
    spec: { boundObjectRef: { kind: 'Pod', name: 'p', uID: 'u-1' }, expirationSeconds: 3600 },
  }))).object;
  assert.deepEqual(token['spec'], { boundObjectRef: { kind: 'Pod', name: 'p', uid: 'u-1' }, expirationSeconds: 3600 });

  const sar = decodeK8sProtobuf(wrapK8sProtobuf('authorization.k8s.io/v1', 'SubjectAccessReview', encode('k8s.io.api.authorization.v1.SubjectAccessReview', {
    spec: { user: 'u', extra: { scopes: { items: ['a', 'b'] }, none: {} } },
  }))).object;
  assert.deepEqual(sar['spec'], { user: 'u', extra: { scopes: ['a', 'b'], none: [] } });
});

test('MicroTime and Duration', () => {
  const micro = encode('k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', { seconds: 1700000000, nanos: 123456789 });
  assert.equal(decodeK8sMessage('k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', micro), '2023-11-14T22:13:20.123456Z');
  assert.equal(decodeK8sMessage('k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', new Uint8Array(0)), null);
  assert.equal(decodeK8sMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Time', encode('k8s.io.apimachinery.pkg.apis.meta.v1.Time', { seconds: -62135596800 })), null);
  const dur = encode('k8s.io.apimachinery.pkg.apis.meta.v1.Duration', { duration: 3723500000000 });
  assert.equal(decodeK8sMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Duration', dur), '1h2m3.5s');
  assert.equal(formatDuration(0n), '0s');
  assert.equal(formatDuration(999n), '999ns');
  assert.equal(formatDuration(1500n), '1.5µs');
  assert.equal(formatDuration(300_000_000n), '300ms');
  assert.equal(formatDuration(60_000_000_000n), '1m0s');
  assert.equal(formatDuration(3_600_000_000_000n), '1h0m0s');
  assert.equal(formatDuration(-90_000_000_000n), '-1m30s');
});

test('DeleteOptions decode under any group-version; Eviction carries them', () => {
  const raw = encode('k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions', { gracePeriodSeconds: 0, propagationPolicy: 'Background', dryRun: ['All'] });
  for (const apiVersion of ['v1', 'meta.k8s.io/v1', 'apps/v1']) {
    const d = decodeK8sProtobuf(wrapK8sProtobuf(apiVersion, 'DeleteOptions', raw));
    assert.deepEqual(d.object, { apiVersion, kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Background', dryRun: ['All'] });
  }
  const eviction = encode('k8s.io.api.policy.v1.Eviction', { metadata: { name: 'p', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 30 } });
  assert.deepEqual(decodeK8sProtobuf(wrapK8sProtobuf('policy/v1', 'Eviction', eviction)).object, {
    apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 30 },
  });
});

test('an envelope may carry JSON (contentType application/json)', () => {
  const envelope = Unknown().encode({
    typeMeta: { apiVersion: 'v1', kind: 'Widget' },
    raw: Buffer.from('{"apiVersion":"v1","kind":"Widget","spec":{"x":1}}'),
    contentType: 'application/json',
  }).finish();
  const d = decodeK8sProtobuf(Buffer.concat([K8S_PROTOBUF_MAGIC, envelope]));
  assert.deepEqual(d, { apiVersion: 'v1', kind: 'Widget', object: { apiVersion: 'v1', kind: 'Widget', spec: { x: 1 } } });
});

// ---------------------------------------------------------------------------------------------
// Errors

test('an unknown kind is 415 UnsupportedMediaType naming the kind', () => {
  const body = wrapK8sProtobuf('example.com/v1', 'Widget', new Uint8Array(0));
  const e = expectStatus(() => decodeK8sProtobuf(body), 415, /"Widget"/);
  assert.ok(e instanceof K8sProtobufUnsupportedKindError);
  assert.equal(e.reason, 'UnsupportedMediaType');
  assert.equal(e.kind, 'Widget');
  assert.equal(e.apiVersion, 'example.com/v1');
  expectStatus(() => decodeK8sProtobuf(wrapK8sProtobuf('v2', 'ConfigMap', new Uint8Array(0))), 415, /ConfigMap/);
});

test('malformed bodies are 400 BadRequest', () => {
  const bad = (b: Buffer | Uint8Array, re?: RegExp) => {
    const e = expectStatus(() => decodeK8sProtobuf(b), 400, re);
    assert.ok(e instanceof K8sProtobufDecodeError);
    assert.equal(e.reason, 'BadRequest');
  };
  bad(Buffer.alloc(0), /k8s/);
  bad(Buffer.from('k8s'), /k8s/);
  bad(Buffer.from('{"kind":"ConfigMap"}'), /prefix/);
  bad(K8S_PROTOBUF_MAGIC, /apiVersion or kind/); // empty envelope
  bad(Buffer.concat([K8S_PROTOBUF_MAGIC, Buffer.from([0x0a, 0x05, 0x0a])]), /envelope/); // truncated
  bad(Buffer.concat([K8S_PROTOBUF_MAGIC, Buffer.from([0x0f])]), /envelope/); // wire type 7
  bad(Buffer.concat([K8S_PROTOBUF_MAGIC, Buffer.alloc(100_000, 0x0b)])); // endless groups
  bad(wrapK8sProtobuf('v1', 'ConfigMap', Buffer.from([0x0a, 0x7f, 0x01])), /ConfigMap/); // raw truncated
  const gz = Unknown().encode({ typeMeta: { apiVersion: 'v1', kind: 'ConfigMap' }, raw: Buffer.alloc(0), contentEncoding: 'gzip' }).finish();
  bad(Buffer.concat([K8S_PROTOBUF_MAGIC, gz]), /gzip/);
  const fields = encode('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta', { managedFields: [{ fieldsV1: { Raw: Buffer.from('{not json') } }] });
  bad(wrapK8sProtobuf('v1', 'ConfigMap', encode('k8s.io.api.core.v1.ConfigMap', { metadata: loadK8sProtoRoot().lookupType('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta').decode(fields) })), /JSON/);
  bad(wrapK8sProtobuf('v1', 'ConfigMap', encode('k8s.io.api.core.v1.ConfigMap', { metadata: { creationTimestamp: { seconds: '9007199254740991' } } })), /range/);
});

test('garbage never escapes as anything but a 400/415 StatusError', () => {
  let seed = 12345;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const samples = [...fixturePairs('kubectl'), ...fixturePairs('oracle')].map((p) => p.bin);
  const check = (b: Buffer) => {
    try {
      decodeK8sProtobuf(b);
    } catch (e) {
      assert.ok(e instanceof StatusError, `unexpected ${e instanceof Error ? e.stack : String(e)}`);
      assert.ok(e.code === 400 || e.code === 415, String(e.code));
    }
  };
  for (let i = 0; i < 3000; i++) {
    const len = rand() % 200;
    const b = Buffer.alloc(len + 4);
    K8S_PROTOBUF_MAGIC.copy(b);
    for (let j = 4; j < b.length; j++) b[j] = rand() & 0xff;
    check(b);
  }
  for (let i = 0; i < 3000; i++) {
    const src = samples[rand() % samples.length]!;
    const b = Buffer.from(src);
    const flips = 1 + (rand() % 4);
    for (let j = 0; j < flips; j++) {
      const at = 4 + (rand() % (b.length - 4));
      b[at] = rand() & 0xff;
    }
    check(rand() % 3 === 0 ? b.subarray(0, 4 + (rand() % (b.length - 4))) : b);
  }
});
