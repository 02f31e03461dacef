import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DockerFrameParser, demuxBuffer } from './docker-stream';
import { renderHostsFile } from './hosts-file';
import { normaliseRef } from './docker-runtime';
import { cgroupLimitsFor, milliCpuToShares } from '../resources/cgroup-limits';
import { parseQuantity, quantityMilliValue, quantityValue } from '../resources/quantity';
import { renderResolvConf } from '../pods/resolv-conf';
import { effectivePullPolicy, pullAuthFor, registryOf } from '../pods/pull-secrets';

function frame(type: number, s: string): Buffer {
  const payload = Buffer.from(s);
  const h = Buffer.alloc(8);
  h[0] = type;
  h.writeUInt32BE(payload.length, 4);
  return Buffer.concat([h, payload]);
}

test('Docker stream frames are split across chunk boundaries', () => {
  const all = Buffer.concat([frame(1, 'out1\n'), frame(2, 'err\n'), frame(1, 'out2\n')]);
  const seen: string[] = [];
  const p = new DockerFrameParser((s, b) => seen.push(`${s}:${b.toString()}`));
  for (let i = 0; i < all.length; i += 3) p.push(all.subarray(i, i + 3));
  assert.deepEqual(seen, ['stdout:out1\n', 'stderr:err\n', 'stdout:out2\n']);
  assert.equal(demuxBuffer(all).toString(), 'out1\nerr\nout2\n');
});

test('hosts file as the kubelet writes it', () => {
  assert.equal(renderHostsFile({ podIPs: ['10.244.1.5'], hostname: 'web', fqdn: 'web.sub.ns.svc.cluster.local', hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo', 'bar'] }] }),
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
    '10.244.1.5\tweb.sub.ns.svc.cluster.local\tweb\n\n# Entries added by HostAliases.\n1.2.3.4\tfoo\tbar\n');
});

test('quantities and cgroup limits', () => {
  assert.equal(parseQuantity('64Mi'), 67108864);
  assert.equal(quantityValue('1G'), 1e9);
  assert.equal(quantityMilliValue('0.3'), 300);
  assert.equal(quantityMilliValue('250m'), 250);
  assert.equal(quantityValue('1e3'), 1000);
  assert.throws(() => parseQuantity('12x'));
  assert.equal(milliCpuToShares(0), 2);
  assert.equal(milliCpuToShares(1), 2);
  assert.equal(milliCpuToShares(100), 102);
  assert.deepEqual(cgroupLimitsFor({ name: 'c', resources: { limits: { cpu: '1500m', memory: '128Mi' }, requests: { cpu: '500m' } } }, 1024),
    { cpuShares: 512, memoryLimitBytes: 134217728, cpuPeriod: 100000, cpuQuota: 150000, pidsLimit: 1024 });
  assert.deepEqual(cgroupLimitsFor({ name: 'c', resources: { limits: { cpu: '1m' } } }), { cpuShares: 2, cpuPeriod: 100000, cpuQuota: 1000 });
});

test('resolv.conf for each dnsPolicy', () => {
  const dns = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: 'nameserver 192.168.1.1\nsearch lan\noptions edns0\n' };
  const pod = (spec: object) => ({ metadata: { namespace: 'ns1' }, spec: { containers: [], ...spec } });
  assert.equal(renderResolvConf(pod({}), dns), 'search ns1.svc.cluster.local svc.cluster.local cluster.local lan\nnameserver 10.96.0.10\noptions ndots:5\n');
  assert.equal(renderResolvConf(pod({ dnsPolicy: 'Default' }), dns), 'search lan\nnameserver 192.168.1.1\noptions edns0\n');
  assert.equal(renderResolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['8.8.8.8'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }] } }), dns), 'search a.b\nnameserver 8.8.8.8\noptions ndots:2\n');
  assert.equal(renderResolvConf(pod({}), { ...dns, clusterDNS: [] }), 'search lan\nnameserver 192.168.1.1\noptions edns0\n');
});

test('image references, pull policies and pull secrets', () => {
  assert.equal(normaliseRef('busybox'), 'busybox:latest');
  assert.equal(normaliseRef('localhost:5000/x'), 'localhost:5000/x:latest');
  assert.equal(normaliseRef('nginx:1.7.9'), 'nginx:1.7.9');
  assert.equal(registryOf('nginx'), 'docker.io');
  assert.equal(registryOf('127.0.0.1:5000/team/app:1'), '127.0.0.1:5000');
  assert.equal(effectivePullPolicy('busybox'), 'Always');
  assert.equal(effectivePullPolicy('busybox:latest'), 'Always');
  assert.equal(effectivePullPolicy('localhost:5000/busybox'), 'Always');
  assert.equal(effectivePullPolicy('nginx:1.7.9'), 'IfNotPresent');
  assert.equal(effectivePullPolicy('nginx:1.7.9', 'Never'), 'Never');
  const cfg = { auths: { 'http://127.0.0.1:5000': { auth: Buffer.from('user:pa:ss').toString('base64') } } };
  const secret = { metadata: { name: 'reg' }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from(JSON.stringify(cfg)).toString('base64') } };
  assert.deepEqual(pullAuthFor('127.0.0.1:5000/app:1', [secret]), { serveraddress: '127.0.0.1:5000', username: 'user', password: 'pa:ss' });
  assert.equal(pullAuthFor('other.example/app:1', [secret]), undefined);
});
