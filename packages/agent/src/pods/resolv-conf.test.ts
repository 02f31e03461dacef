import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1';
import { renderResolvConf, type DnsSettings } from './resolv-conf';

const HOST = '# host\nnameserver 192.168.1.1\nnameserver 192.168.1.2\nsearch corp.example lab.example\noptions rotate\n';
const dns: DnsSettings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', hostResolvConf: HOST };
const pod = (spec: Partial<NonNullable<Pod['spec']>> = {}, ns = 'shop'): Pod => ({ metadata: { name: 'p', namespace: ns }, spec: { containers: [], ...spec } });

test('ClusterFirst: the cluster DNS, the namespace search path then the host\'s, ndots:5', () => {
  assert.equal(renderResolvConf(pod(), dns),
    'search shop.svc.cluster.local svc.cluster.local cluster.local corp.example lab.example\nnameserver 10.96.0.10\noptions ndots:5\n');
});

test('ClusterFirst without a cluster DNS, and hostNetwork with ClusterFirst: the host\'s file', () => {
  const host = 'search corp.example lab.example\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions rotate\n';
  assert.equal(renderResolvConf(pod(), { ...dns, clusterDNS: [] }), host);
  assert.equal(renderResolvConf(pod({ hostNetwork: true }), dns), host);
  assert.match(renderResolvConf(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), dns), /^nameserver 10\.96\.0\.10$/m);
});

test('Default: the host\'s resolv.conf; dnsConfig adds to it', () => {
  assert.equal(renderResolvConf(pod({ dnsPolicy: 'Default', dnsConfig: { searches: ['extra.example'], options: [{ name: 'ndots', value: '2' }] } }), dns),
    'search corp.example lab.example extra.example\nnameserver 192.168.1.1\nnameserver 192.168.1.2\noptions rotate ndots:2\n');
});

test('None: only dnsConfig; a pod option overrides one of the same name', () => {
  assert.equal(renderResolvConf(pod({ dnsPolicy: 'None', dnsConfig: { nameservers: ['1.2.3.4'], searches: ['a.example'], options: [{ name: 'ndots', value: '1' }, { name: 'edns0' }] } }), dns),
    'search a.example\nnameserver 1.2.3.4\noptions ndots:1 edns0\n');
  assert.match(renderResolvConf(pod({ dnsConfig: { options: [{ name: 'ndots', value: '2' }] } }), dns), /^options ndots:2$/m);
});
