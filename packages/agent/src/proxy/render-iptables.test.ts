import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import { endpointChain, portProtoHash } from './chain-names';
import { renderIptables, renderServicePorts, type ProxyNodeConfig } from './render-iptables';
import { servicePorts, type ProxyState } from './service-ports';

const NODE: ProxyNodeConfig = { nodeName: 'node-1', nodeIP: '192.168.56.11', podCIDR: '10.244.1.0/24', serviceCIDR: '10.96.0.0/12', clusterCIDR: '10.244.0.0/16' };

function svc(name: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: 'ns1' }, spec };
}

function slice(name: string, service: string, ports: EndpointSlice['ports'], endpoints: EndpointSlice['endpoints']): EndpointSlice {
  return { addressType: 'IPv4', metadata: { name, namespace: 'ns1', labels: { 'kubernetes.io/service-name': service } }, ports, endpoints };
}

/**
 * web: NodePort, externalTrafficPolicy Local, named target port resolved to
 *      8080 in one slice and 8081 in another, one endpoint not ready;
 * dns: UDP with ClientIP affinity (600 s); gone: NodePort without endpoints;
 * local: internalTrafficPolicy Local with its only endpoint on another node;
 * headless: skipped.
 */
function fixture(): ProxyState {
  return {
    services: [
      svc('web', { type: 'NodePort', clusterIP: '10.96.0.20', externalTrafficPolicy: 'Local', ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }] }),
      svc('dns', { clusterIP: '10.96.0.10', sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }),
      svc('gone', { type: 'NodePort', clusterIP: '10.96.0.30', ports: [{ port: 8080, nodePort: 30090 }] }),
      svc('local', { clusterIP: '10.96.0.40', internalTrafficPolicy: 'Local', ports: [{ port: 9000 }] }),
      svc('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
    ],
    endpointSlices: [
      slice('web-a', 'web', [{ name: 'http', port: 8080 }], [
        { addresses: ['10.244.1.2'], nodeName: 'node-1' },
        { addresses: ['10.244.2.3'], nodeName: 'node-2', conditions: { ready: true } },
        { addresses: ['10.244.1.9'], nodeName: 'node-1', conditions: { ready: false } },
      ]),
      slice('web-b', 'web', [{ name: 'http', port: 8081 }], [{ addresses: ['10.244.3.4'], nodeName: 'node-3' }]),
      slice('dns-a', 'dns', [{ name: 'dns', port: 53, protocol: 'UDP' }], [{ addresses: ['10.244.1.5'], nodeName: 'node-1' }, { addresses: ['10.244.2.5'], nodeName: 'node-2' }]),
      slice('local-a', 'local', [{ port: 9000 }], [{ addresses: ['10.244.2.7'], nodeName: 'node-2' }]),
    ],
  };
}

const FULL = `*filter
:SKIFF-SERVICES - [0:0]
:SKIFF-EXTERNAL-SERVICES - [0:0]
:SKIFF-FORWARD - [0:0]
:SKIFF-PROXY-GUARD - [0:0]
-A SKIFF-SERVICES -m comment --comment "ns1/gone has no endpoints" -m tcp -p tcp -d 10.96.0.30/32 --dport 8080 -j REJECT --reject-with icmp-port-unreachable
-A SKIFF-SERVICES -m comment --comment "ns1/local has no local endpoints" -m tcp -p tcp -d 10.96.0.40/32 --dport 9000 -j REJECT --reject-with icmp-port-unreachable
-A SKIFF-EXTERNAL-SERVICES -m comment --comment "ns1/gone has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30090 -j REJECT --reject-with icmp-port-unreachable
-A SKIFF-FORWARD -m conntrack --ctstate INVALID -j DROP
-A SKIFF-FORWARD -m comment --comment "skiff forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A SKIFF-FORWARD -m comment --comment "skiff forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A SKIFF-FORWARD -m comment --comment "skiff pod traffic" -s 10.244.0.0/16 -j ACCEPT
-A SKIFF-FORWARD -m comment --comment "skiff pod traffic" -d 10.244.0.0/16 -j ACCEPT
-A SKIFF-PROXY-GUARD -m comment --comment "skiff: service range traffic that no rule translated" -d 10.96.0.0/12 -m conntrack ! --ctstate DNAT -j REJECT --reject-with icmp-port-unreachable
COMMIT
*nat
:SKIFF-SERVICES - [0:0]
:SKIFF-NODEPORTS - [0:0]
:SKIFF-POSTROUTING - [0:0]
:SKIFF-MARK-MASQ - [0:0]
:SKIFF-SVC-WBMILL6O5AC5GY22 - [0:0]
:SKIFF-SEP-DLNHBX737R32G7AU - [0:0]
:SKIFF-SEP-MOO7PFZVYNTZSAYT - [0:0]
:SKIFF-SVC-4LVCYZMTA5CQO6SX - [0:0]
:SKIFF-SVL-4LVCYZMTA5CQO6SX - [0:0]
:SKIFF-EXT-4LVCYZMTA5CQO6SX - [0:0]
:SKIFF-SEP-TCHSYJU4C2SBUOO7 - [0:0]
:SKIFF-SEP-ODQXN5PJFWHJCIMV - [0:0]
:SKIFF-SEP-Z6T57JFIXFXF72WA - [0:0]
-A SKIFF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -m comment --comment "skiff pod-to-pod traffic is not NATed" -s 10.244.0.0/16 -d 10.244.0.0/16 -j ACCEPT
-A SKIFF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A SKIFF-POSTROUTING -j MARK --xor-mark 0x4000
-A SKIFF-POSTROUTING -m comment --comment "skiff service traffic requiring SNAT" -j MASQUERADE --random-fully
-A SKIFF-MARK-MASQ -j MARK --or-mark 0x4000
-A SKIFF-SERVICES -m comment --comment "ns1/dns:dns cluster IP" -m udp -p udp -d 10.96.0.10/32 --dport 53 -j SKIFF-SVC-WBMILL6O5AC5GY22
-A SKIFF-SERVICES -m comment --comment "ns1/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 -j SKIFF-SVC-4LVCYZMTA5CQO6SX
-A SKIFF-SERVICES -m comment --comment "skiff service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j SKIFF-NODEPORTS
-A SKIFF-NODEPORTS -m comment --comment ns1/web:http -m tcp -p tcp --dport 30080 -j SKIFF-EXT-4LVCYZMTA5CQO6SX
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns cluster IP" -m udp -p udp -d 10.96.0.10/32 --dport 53 ! -s 10.244.0.0/16 -j SKIFF-MARK-MASQ
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.244.1.5:53" -m recent --name SKIFF-SEP-DLNHBX737R32G7AU --rcheck --seconds 600 --reap -j SKIFF-SEP-DLNHBX737R32G7AU
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.244.2.5:53" -m recent --name SKIFF-SEP-MOO7PFZVYNTZSAYT --rcheck --seconds 600 --reap -j SKIFF-SEP-MOO7PFZVYNTZSAYT
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.244.1.5:53" -m statistic --mode random --probability 0.5000000000 -j SKIFF-SEP-DLNHBX737R32G7AU
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.244.2.5:53" -j SKIFF-SEP-MOO7PFZVYNTZSAYT
-A SKIFF-SEP-DLNHBX737R32G7AU -m comment --comment ns1/dns:dns -s 10.244.1.5/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-DLNHBX737R32G7AU -m comment --comment ns1/dns:dns -m recent --name SKIFF-SEP-DLNHBX737R32G7AU --set -m udp -p udp -j DNAT --to-destination 10.244.1.5:53
-A SKIFF-SEP-MOO7PFZVYNTZSAYT -m comment --comment ns1/dns:dns -s 10.244.2.5/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-MOO7PFZVYNTZSAYT -m comment --comment ns1/dns:dns -m recent --name SKIFF-SEP-MOO7PFZVYNTZSAYT --set -m udp -p udp -j DNAT --to-destination 10.244.2.5:53
-A SKIFF-SVC-4LVCYZMTA5CQO6SX -m comment --comment "ns1/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 ! -s 10.244.0.0/16 -j SKIFF-MARK-MASQ
-A SKIFF-SVC-4LVCYZMTA5CQO6SX -m comment --comment "ns1/web:http -> 10.244.1.2:8080" -m statistic --mode random --probability 0.3333333333 -j SKIFF-SEP-TCHSYJU4C2SBUOO7
-A SKIFF-SVC-4LVCYZMTA5CQO6SX -m comment --comment "ns1/web:http -> 10.244.2.3:8080" -m statistic --mode random --probability 0.5000000000 -j SKIFF-SEP-ODQXN5PJFWHJCIMV
-A SKIFF-SVC-4LVCYZMTA5CQO6SX -m comment --comment "ns1/web:http -> 10.244.3.4:8081" -j SKIFF-SEP-Z6T57JFIXFXF72WA
-A SKIFF-SVL-4LVCYZMTA5CQO6SX -m comment --comment "ns1/web:http -> 10.244.1.2:8080" -j SKIFF-SEP-TCHSYJU4C2SBUOO7
-A SKIFF-EXT-4LVCYZMTA5CQO6SX -m comment --comment "pod traffic for ns1/web:http external destinations" -s 10.244.0.0/16 -j SKIFF-SVC-4LVCYZMTA5CQO6SX
-A SKIFF-EXT-4LVCYZMTA5CQO6SX -m comment --comment "masquerade LOCAL traffic for ns1/web:http external destinations" -m addrtype --src-type LOCAL -j SKIFF-MARK-MASQ
-A SKIFF-EXT-4LVCYZMTA5CQO6SX -m comment --comment "route LOCAL traffic for ns1/web:http external destinations" -m addrtype --src-type LOCAL -j SKIFF-SVC-4LVCYZMTA5CQO6SX
-A SKIFF-EXT-4LVCYZMTA5CQO6SX -j SKIFF-SVL-4LVCYZMTA5CQO6SX
-A SKIFF-SEP-TCHSYJU4C2SBUOO7 -m comment --comment ns1/web:http -s 10.244.1.2/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-TCHSYJU4C2SBUOO7 -m comment --comment ns1/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.2:8080
-A SKIFF-SEP-ODQXN5PJFWHJCIMV -m comment --comment ns1/web:http -s 10.244.2.3/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-ODQXN5PJFWHJCIMV -m comment --comment ns1/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.2.3:8080
-A SKIFF-SEP-Z6T57JFIXFXF72WA -m comment --comment ns1/web:http -s 10.244.3.4/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-Z6T57JFIXFXF72WA -m comment --comment ns1/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.3.4:8081
COMMIT
`;

const PARTIAL_NAT = `:SKIFF-SERVICES - [0:0]
:SKIFF-NODEPORTS - [0:0]
:SKIFF-POSTROUTING - [0:0]
:SKIFF-MARK-MASQ - [0:0]
:SKIFF-SVC-WBMILL6O5AC5GY22 - [0:0]
:SKIFF-SEP-DLNHBX737R32G7AU - [0:0]
:SKIFF-SEP-MOO7PFZVYNTZSAYT - [0:0]
:SKIFF-SVC-STALESTALESTALE1 - [0:0]
-A SKIFF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -m comment --comment "skiff pod-to-pod traffic is not NATed" -s 10.244.0.0/16 -d 10.244.0.0/16 -j ACCEPT
-A SKIFF-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A SKIFF-POSTROUTING -j MARK --xor-mark 0x4000
-A SKIFF-POSTROUTING -m comment --comment "skiff service traffic requiring SNAT" -j MASQUERADE --random-fully
-A SKIFF-MARK-MASQ -j MARK --or-mark 0x4000
-A SKIFF-SERVICES -m comment --comment "ns1/dns:dns cluster IP" -m udp -p udp -d 10.96.0.10/32 --dport 53 -j SKIFF-SVC-WBMILL6O5AC5GY22
-A SKIFF-SERVICES -m comment --comment "ns1/web:http cluster IP" -m tcp -p tcp -d 10.96.0.20/32 --dport 80 -j SKIFF-SVC-4LVCYZMTA5CQO6SX
-A SKIFF-SERVICES -m comment --comment "skiff service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j SKIFF-NODEPORTS
-A SKIFF-NODEPORTS -m comment --comment ns1/web:http -m tcp -p tcp --dport 30080 -j SKIFF-EXT-4LVCYZMTA5CQO6SX
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns cluster IP" -m udp -p udp -d 10.96.0.10/32 --dport 53 ! -s 10.244.0.0/16 -j SKIFF-MARK-MASQ
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.244.1.5:53" -m recent --name SKIFF-SEP-DLNHBX737R32G7AU --rcheck --seconds 600 --reap -j SKIFF-SEP-DLNHBX737R32G7AU
-A SKIFF-SVC-WBMILL6O5AC5GY22 -m comment --comment "ns1/dns:dns -> 10.244.1.5:53" -j SKIFF-SEP-DLNHBX737R32G7AU
-A SKIFF-SEP-DLNHBX737R32G7AU -m comment --comment ns1/dns:dns -s 10.244.1.5/32 -j SKIFF-MARK-MASQ
-A SKIFF-SEP-DLNHBX737R32G7AU -m comment --comment ns1/dns:dns -m recent --name SKIFF-SEP-DLNHBX737R32G7AU --set -m udp -p udp -j DNAT --to-destination 10.244.1.5:53
-X SKIFF-SEP-MOO7PFZVYNTZSAYT
-X SKIFF-SVC-STALESTALESTALE1
COMMIT
`;

test('chain names use the kube-proxy hash (its own test vectors)', () => {
  assert.equal(portProtoHash('ns1/svc1:p80', 'tcp'), 'XPGD46QRK7WJZT7O');
  assert.equal(endpointChain('ns1/svc1:p80', 'tcp', '10.180.0.1:80'), 'SKIFF-SEP-SXIVWICOYRO3J4NJ');
});

test('full render: exact text', () => {
  const r = renderIptables(fixture(), NODE);
  assert.equal(r.text, FULL);
  assert.equal(r.servicePorts, 4);
  assert.equal(r.writtenServicePorts, 2);
  assert.deepEqual(r.deletedChains, []);
});

test('partial render writes only the changed service and deletes chains no longer wanted', () => {
  const full = renderIptables(fixture(), NODE);
  const next = fixture();
  next.endpointSlices![2]!.endpoints.pop();
  const r = renderIptables(next, NODE, { changedServices: new Set(['ns1/dns']), existingNatChains: new Set([...full.natChains, 'SKIFF-SVC-STALESTALESTALE1']) });
  const [filter, nat] = r.text.split('*nat\n') as [string, string];
  assert.equal(nat, PARTIAL_NAT);
  assert.equal(filter, FULL.split('*nat\n')[0], 'the filter table is always written in full');
  assert.deepEqual(r.deletedChains, ['SKIFF-SEP-MOO7PFZVYNTZSAYT', 'SKIFF-SVC-STALESTALESTALE1']);
  assert.equal(r.writtenServicePorts, 1);
});

test('partial render still writes a wanted chain that does not exist yet', () => {
  const full = renderIptables(fixture(), NODE);
  const existing = new Set(full.natChains.filter((c) => c !== 'SKIFF-SVC-4LVCYZMTA5CQO6SX'));
  const r = renderIptables(fixture(), NODE, { changedServices: new Set(), existingNatChains: existing });
  assert.equal(r.writtenServicePorts, 1);
  assert.match(r.text, /^:SKIFF-SVC-4LVCYZMTA5CQO6SX - \[0:0\]$/m);
  assert.doesNotMatch(r.text, /^:SKIFF-SVC-WBMILL6O5AC5GY22/m);
});

test('a render is deterministic whatever the input order', () => {
  const a = fixture();
  const b: ProxyState = { services: [...a.services].reverse(), endpointSlices: [...a.endpointSlices!].reverse() };
  assert.equal(renderIptables(b, NODE).text, renderIptables(a, NODE).text);
});

test('core/v1 Endpoints are used when a service has no slices; slices win otherwise', () => {
  const state: ProxyState = {
    services: [svc('a', { clusterIP: '10.96.1.1', ports: [{ name: 'p', port: 80 }] }), svc('b', { clusterIP: '10.96.1.2', ports: [{ port: 80 }] })],
    endpoints: [
      { metadata: { name: 'a', namespace: 'ns1' }, subsets: [{ addresses: [{ ip: '10.244.5.1', nodeName: 'node-1' }], notReadyAddresses: [{ ip: '10.244.5.2' }], ports: [{ name: 'p', port: 8080 }] }] },
      { metadata: { name: 'b', namespace: 'ns1' }, subsets: [{ addresses: [{ ip: '10.244.5.9' }], ports: [{ port: 9999 }] }] },
    ],
    endpointSlices: [slice('b-1', 'b', [{ port: 80 }], [{ addresses: ['10.244.6.1'] }])],
  };
  const ports = servicePorts(state, 'node-1');
  assert.deepEqual(ports.map((p) => [p.name, p.clusterEndpoints]), [
    ['ns1/a:p', [{ ip: '10.244.5.1', port: 8080, local: true }]],
    ['ns1/b', [{ ip: '10.244.6.1', port: 80, local: false }]],
  ]);
});

test('terminating but serving endpoints are used only when none is ready', () => {
  const term = { ready: false, serving: true, terminating: true };
  const state: ProxyState = {
    services: [svc('a', { clusterIP: '10.96.1.1', ports: [{ port: 80 }] })],
    endpointSlices: [slice('a-1', 'a', [{ port: 80 }], [{ addresses: ['10.244.5.1'], conditions: term }, { addresses: ['10.244.5.2'], conditions: { ready: false, serving: false, terminating: true } }])],
  };
  assert.deepEqual(servicePorts(state, 'node-1')[0]!.clusterEndpoints.map((e) => e.ip), ['10.244.5.1']);
  state.endpointSlices!.push(slice('a-2', 'a', [{ port: 80 }], [{ addresses: ['10.244.5.3'] }]));
  assert.deepEqual(servicePorts(state, 'node-1')[0]!.clusterEndpoints.map((e) => e.ip), ['10.244.5.3']);
});

test('external IPs enter through the EXT chain; without endpoints they are rejected in filter', () => {
  const state: ProxyState = {
    services: [svc('x', { clusterIP: '10.96.2.1', externalIPs: ['192.168.56.200'], ports: [{ port: 80 }] })],
    endpointSlices: [slice('x-1', 'x', [{ port: 80 }], [{ addresses: ['10.244.7.1'] }])],
  };
  const text = renderIptables(state, NODE).text;
  assert.match(text, /^-A SKIFF-SERVICES -m comment --comment "ns1\/x external IP" -m tcp -p tcp -d 192\.168\.56\.200\/32 --dport 80 -j SKIFF-EXT-\w{16}$/m);
  state.endpointSlices = [];
  const empty = renderIptables(state, NODE).text;
  assert.match(empty, /^-A SKIFF-EXTERNAL-SERVICES -m comment --comment "ns1\/x has no endpoints" -m tcp -p tcp -d 192\.168\.56\.200\/32 --dport 80 -j REJECT --reject-with icmp-port-unreachable$/m);
  assert.doesNotMatch(empty, /SKIFF-EXT-/);
});

test('node-local DNS: the cluster DNS address goes to this node\'s server, ahead of every service', () => {
  const text = renderIptables(fixture(), { ...NODE, localDNS: { serviceIP: '10.96.0.10', ip: '10.244.1.1', port: 53 } }).text;
  const services = text.split('\n').filter((l) => l.startsWith('-A SKIFF-SERVICES ') && text.indexOf(l) > text.indexOf('*nat'));
  assert.deepEqual(services.slice(0, 2), [
    '-A SKIFF-SERVICES -m comment --comment "skiff node-local DNS" -m udp -p udp -d 10.96.0.10/32 --dport 53 -j DNAT --to-destination 10.244.1.1:53',
    '-A SKIFF-SERVICES -m comment --comment "skiff node-local DNS" -m tcp -p tcp -d 10.96.0.10/32 --dport 53 -j DNAT --to-destination 10.244.1.1:53',
  ]);
});

test('rendered text kept per service port object: reused as is, redone for another node config', () => {
  const ports = servicePorts(fixture(), NODE.nodeName);
  const first = renderServicePorts(ports, NODE);
  assert.equal(first.text, FULL);
  assert.equal(renderServicePorts(ports, NODE).text, FULL, 'same objects, same text');
  const partial = renderServicePorts(ports, NODE, { changedServices: new Set(), existingNatChains: new Set(first.natChains) });
  assert.equal(partial.writtenServicePorts, 0);
  const other = { ...NODE, clusterCIDR: '10.200.0.0/16' };
  const again = renderServicePorts(ports, other).text;
  assert.equal(again, renderIptables(fixture(), other).text, 'another node config is not served from the cache');
  assert.match(again, /-d 10\.96\.0\.20\/32 --dport 80 ! -s 10\.200\.0\.0\/16 -j SKIFF-MARK-MASQ/);
});
