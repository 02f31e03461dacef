import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1';
import { expand } from './expansion';
import { makeEnvironment, expandCommand, ContainerConfigError } from './env';
import { StaticObjectResolver } from './object-resolver';
import { writeAtomic } from './atomic-writer';
import { VolumeManager, VolumeSetupError } from './volume-manager';
import { formatMap, resourceFieldRefValue } from './downward-api';

const ctx = { podIPs: ['10.244.0.7'], hostIPs: ['192.168.1.10'], nodeName: 'node-1', nodeAllocatable: { cpu: '4', memory: '8Gi' } };

test('expand: $(VAR), $$ escapes, unknown and unterminated references stay', () => {
  const m = new Map([['A', 'x'], ['B', 'y']]);
  const cases: [string, string][] = [
    ['$(A)', 'x'], ['pre-$(A)-$(B)-post', 'pre-x-y-post'], ['$(C)', '$(C)'], ['$$(A)', '$(A)'], ['$$$(A)', '$x'],
    ['$(A', '$(A'], ['$A', '$A'], ['a$', 'a$'], ['$()', '$()'], ['', ''], ['$(A)$(A)', 'xx'],
  ];
  for (const [input, want] of cases) assert.equal(expand(input, m), want, input);
});

const pod: Pod = {
  metadata: { name: 'web', namespace: 'ns1', uid: 'uid-1', labels: { app: 'web', tier: 'fe' }, annotations: { note: 'a "q"' } },
  spec: {
    nodeName: 'node-1', serviceAccountName: 'sa',
    containers: [{ name: 'c', image: 'img', resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } } }],
  },
};

const resolver = new StaticObjectResolver(
  [{ metadata: { name: 'cfg', namespace: 'ns1' }, data: { A: '1', B: 'two', 'bad-key!': 'x', 'app.yaml': 'k: v\n' } }],
  [{ metadata: { name: 'sec', namespace: 'ns1' }, data: { password: Buffer.from('s3cret').toString('base64') } }],
);

test('makeEnvironment: envFrom, env overrides, valueFrom sources and expansion', async () => {
  const c = {
    name: 'c', image: 'img',
    resources: { limits: { memory: '64Mi' }, requests: { cpu: '250m' } },
    envFrom: [{ configMapRef: { name: 'cfg' }, prefix: 'CFG_' }, { secretRef: { name: 'sec' } }],
    env: [
      { name: 'CFG_A', value: 'override-$(CFG_B)' },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
      { name: 'UID', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
      { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'SA', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
      { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
      { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
      { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'CPU_REQ_M', valueFrom: { resourceFieldRef: { resource: 'requests.cpu', divisor: '1m' } } },
      { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'B' } } },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
      { name: 'REF', value: '$(POD).$(NS) $(SVC_HOST) $(NOPE)' },
    ],
  };
  const r = await makeEnvironment(pod, c, resolver, ctx, new Map([['SVC_HOST', '10.96.0.5'], ['CFG_A', 'svc']]));
  assert.deepEqual(Object.fromEntries(r.env.map((e) => [e.name, e.value])), {
    CFG_A: 'override-two', CFG_B: 'two', 'CFG_app.yaml': 'k: v\n', password: 's3cret',
    POD: 'web', NS: 'ns1', UID: 'uid-1', APP: 'web', NODE: 'node-1', SA: 'sa', IP: '10.244.0.7', HOST: '192.168.1.10',
    MEM: '64', CPU_LIMIT: '4', CPU_REQ_M: '250', KEY: 'two', PW: 's3cret', REF: 'web.ns1 10.96.0.5 $(NOPE)', SVC_HOST: '10.96.0.5',
  });
  assert.deepEqual(r.warnings, ['Keys [CFG_bad-key!] from the EnvFrom configMap ns1/cfg were skipped since they are considered invalid environment variable names.']);
  assert.deepEqual(expandCommand({ name: 'c', command: ['sh', '-c', 'echo $(POD) $$(POD)'], args: ['$(MISSING)'] }, r.env), {
    command: ['sh', '-c', 'echo web $(POD)'], args: ['$(MISSING)'],
  });
});

test('makeEnvironment: missing sources fail like the kubelet', async () => {
  const run = (env: NonNullable<Pod['spec']>['containers'][number]['env']) => makeEnvironment(pod, { name: 'c', env }, resolver, ctx);
  await assert.rejects(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }]), new ContainerConfigError('configmap "nope" not found'));
  await assert.rejects(run([{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }]), new ContainerConfigError("couldn't find key k in ConfigMap ns1/cfg"));
  await assert.rejects(run([{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }]), new ContainerConfigError('secret "nope" not found'));
});

test('downward API formatting and resource rounding', () => {
  assert.equal(formatMap({ b: '2', a: 'x"y' }), 'a="x\\"y"\nb="2"');
  assert.equal(resourceFieldRefValue({ resource: 'limits.cpu', divisor: '1' }, { name: 'c', resources: { limits: { cpu: '250m' } } }, ctx), '1');
  assert.equal(resourceFieldRefValue({ resource: 'limits.cpu', divisor: '1m' }, { name: 'c', resources: { limits: { cpu: '250m' } } }, ctx), '250');
  assert.equal(resourceFieldRefValue({ resource: 'limits.memory' }, { name: 'c' }, ctx), String(8 * 2 ** 30));
  assert.equal(resourceFieldRefValue({ resource: 'requests.memory', divisor: '1Mi' }, { name: 'c', resources: { limits: { memory: '100M' } } }, ctx), '96');
});

async function tmpdir(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'skiff-vol-'));
}

test('writeAtomic: ..data swap, user links, updates in place, stale keys removed', async () => {
  const dir = await tmpdir();
  try {
    const p1 = new Map([['a', { data: Buffer.from('1'), mode: 0o644 }], ['sub/b', { data: Buffer.from('2'), mode: 0o600 }]]);
    assert.equal(await writeAtomic(dir, p1), true);
    assert.equal(await fs.readlink(path.join(dir, 'a')), '..data/a');
    assert.equal(await fs.readFile(path.join(dir, 'sub/b'), 'utf8'), '2');
    assert.equal((await fs.stat(path.join(dir, 'sub/b'))).mode & 0o777, 0o600);
    const first = await fs.readlink(path.join(dir, '..data'));
    assert.equal(await writeAtomic(dir, p1), false, 'unchanged payload is not rewritten');
    assert.equal(await fs.readlink(path.join(dir, '..data')), first);

    const p2 = new Map([['a', { data: Buffer.from('one'), mode: 0o644 }], ['c', { data: Buffer.from('3'), mode: 0o644 }]]);
    assert.equal(await writeAtomic(dir, p2), true);
    assert.equal(await fs.readFile(path.join(dir, 'a'), 'utf8'), 'one');
    assert.notEqual(await fs.readlink(path.join(dir, '..data')), first);
    const entries = (await fs.readdir(dir)).filter((e) => !e.startsWith('..')).sort();
    assert.deepEqual(entries, ['a', 'c']);
    assert.equal((await fs.readdir(dir)).filter((e) => e.startsWith('..') && e !== '..data').length, 1, 'old timestamp dir removed');
    await assert.rejects(writeAtomic(dir, new Map([['../x', { data: Buffer.from(''), mode: 0o644 }]])));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('VolumeManager: emptyDir, tmpfs, configMap items, secret, downwardAPI, projected, hostPath, subPath', async () => {
  const root = await tmpdir();
  try {
    const hostDir = path.join(root, 'host-data');
    const p: Pod = {
      metadata: { ...pod.metadata, uid: 'uid-2' },
      spec: {
        containers: [{
          name: 'c', image: 'img',
          volumeMounts: [
            { name: 'scratch', mountPath: '/scratch' },
            { name: 'scratch', mountPath: '/per-pod', subPathExpr: '$(POD_NAME)' },
            { name: 'mem', mountPath: '/mem' },
            { name: 'cfg', mountPath: '/etc/cfg', mountPropagation: 'HostToContainer' },
            { name: 'sec', mountPath: '/etc/sec' },
            { name: 'info', mountPath: '/etc/info' },
            { name: 'all', mountPath: '/etc/all' },
            { name: 'host', mountPath: '/data' },
          ],
        }],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'app.yaml', path: 'conf/app.yaml', mode: 0o400 }] } },
          { name: 'sec', secret: { secretName: 'sec', defaultMode: 0o440 } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }, { path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
          { name: 'all', projected: { sources: [{ configMap: { name: 'cfg', items: [{ key: 'A', path: 'a' }] } }, { secret: { name: 'sec' } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
          { name: 'host', hostPath: { path: hostDir, type: 'DirectoryOrCreate' } },
        ],
      },
    };
    const vm = new VolumeManager({ rootDir: root, resolver });
    const prepared = await vm.setUp(p, ctx);
    const vdir = (plugin: string, name: string) => path.join(root, 'pods', 'uid-2', 'volumes', `kubernetes.io~${plugin}`, name);
    assert.deepEqual(prepared.get('mem'), { name: 'mem', kind: 'tmpfs', sizeBytes: 16 * 2 ** 20 });
    assert.deepEqual(VolumeManager.tmpfsVolumes(prepared), [{ name: 'mem', sizeBytes: 16 * 2 ** 20 }]);
    assert.equal(await fs.readFile(path.join(vdir('configmap', 'cfg'), 'conf/app.yaml'), 'utf8'), 'k: v\n');
    assert.equal((await fs.stat(path.join(vdir('configmap', 'cfg'), 'conf/app.yaml'))).mode & 0o777, 0o400);
    assert.equal(await fs.readFile(path.join(vdir('secret', 'sec'), 'password'), 'utf8'), 's3cret');
    assert.equal(await fs.readFile(path.join(vdir('downward-api', 'info'), 'labels'), 'utf8'), 'app="web"\ntier="fe"');
    assert.deepEqual((await fs.readdir(vdir('projected', 'all'))).filter((e) => !e.startsWith('..')).sort(), ['a', 'ns', 'password']);
    assert.ok((await fs.stat(hostDir)).isDirectory());

    const mounts = await vm.mountsFor(p.spec!.containers[0]!, prepared, [{ name: 'POD_NAME', value: 'web' }]);
    assert.deepEqual(mounts, [
      { kind: 'bind', hostPath: vdir('empty-dir', 'scratch'), containerPath: '/scratch', readOnly: false },
      { kind: 'bind', hostPath: path.join(vdir('empty-dir', 'scratch'), 'web'), containerPath: '/per-pod', readOnly: false },
      { kind: 'tmpfs', volumeName: 'mem', containerPath: '/mem', readOnly: false },
      { kind: 'bind', hostPath: vdir('configmap', 'cfg'), containerPath: '/etc/cfg', readOnly: true, propagation: 'rslave' },
      { kind: 'bind', hostPath: vdir('secret', 'sec'), containerPath: '/etc/sec', readOnly: true },
      { kind: 'bind', hostPath: vdir('downward-api', 'info'), containerPath: '/etc/info', readOnly: true },
      { kind: 'bind', hostPath: vdir('projected', 'all'), containerPath: '/etc/all', readOnly: true },
      { kind: 'bind', hostPath: hostDir, containerPath: '/data', readOnly: false },
    ]);

    // An update to the ConfigMap shows up in place on the next setUp.
    resolver.configMaps[0]!.data!['app.yaml'] = 'k: v2\n';
    await vm.setUp(p, ctx);
    assert.equal(await fs.readFile(path.join(vdir('configmap', 'cfg'), 'conf/app.yaml'), 'utf8'), 'k: v2\n');
    resolver.configMaps[0]!.data!['app.yaml'] = 'k: v\n';

    const missing: Pod = { ...p, spec: { containers: [], volumes: [{ name: 'x', configMap: { name: 'nope' } }] } };
    await assert.rejects(vm.setUp(missing, ctx), new VolumeSetupError('x', 'configmap "nope" not found'));
    await assert.rejects(vm.setUp({ ...p, spec: { containers: [], volumes: [{ name: 'h', hostPath: { path: path.join(root, 'none'), type: 'Directory' } }] } }, ctx), /is not a directory/);
    await vm.tearDown('uid-2');
    await assert.rejects(fs.stat(path.join(root, 'pods', 'uid-2')));
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});

test('VolumeManager: persistentVolumeClaim volumes bind the PV directory; provisioned local ones are created and outlive the pod', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'skiff-pvc-'));
  try {
    const provisioned = path.join(root, 'volumes', 'pvc-1');
    const staticDir = path.join(root, 'static');
    await fs.mkdir(staticDir);
    const claim = (name: string, volumeName?: string) => ({
      metadata: { name, namespace: 'ns1' }, spec: volumeName ? { volumeName } : {}, status: { phase: volumeName ? 'Bound' : 'Pending' },
    });
    const res = new StaticObjectResolver([], [], [claim('www-web-0', 'pvc-1'), claim('static', 'pv-static'), claim('gone', 'pv-gone'), claim('pending')], [
      { metadata: { name: 'pvc-1', annotations: { 'pv.kubernetes.io/provisioned-by': 'skiff.io/local-volume' } }, spec: { local: { path: provisioned } } },
      { metadata: { name: 'pv-static' }, spec: { local: { path: staticDir } } },
      { metadata: { name: 'pv-gone' }, spec: { local: { path: path.join(root, 'nope') } } },
    ]);
    const vm = new VolumeManager({ rootDir: root, resolver: res });
    const withClaim = (claimName: string): Pod => ({ metadata: { name: 'web-0', namespace: 'ns1', uid: 'uid-9' }, spec: { containers: [], volumes: [{ name: 'www', persistentVolumeClaim: { claimName } }] } });
    const prepared = await vm.setUp(withClaim('www-web-0'), ctx);
    assert.deepEqual(prepared.get('www'), { name: 'www', kind: 'bind', hostPath: provisioned, readOnly: false });
    assert.ok((await fs.stat(provisioned)).isDirectory());
    await fs.writeFile(path.join(provisioned, 'f'), 'kept');
    await vm.tearDown('uid-9');
    assert.equal(await fs.readFile(path.join(provisioned, 'f'), 'utf8'), 'kept');
    assert.equal((await vm.setUp(withClaim('static'), ctx)).get('www')?.kind, 'bind');
    await assert.rejects(vm.setUp(withClaim('gone'), ctx), /does not exist on this node/);
    await assert.rejects(vm.setUp(withClaim('pending'), ctx), /persistentvolumeclaim "pending" is not bound/);
    await assert.rejects(vm.setUp(withClaim('nope'), ctx), /persistentvolumeclaim "nope" not found/);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
