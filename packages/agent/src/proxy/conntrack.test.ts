import { test } from 'node:test';
import assert from 'node:assert/strict';
import { staleUdpFlows } from './conntrack';
import type { ServicePortInfo } from './service-ports';

function port(eps: string[], over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    serviceKey: 'ns/dns', name: 'ns/dns:dns', protocol: 'udp', clusterIP: '10.96.0.10', port: 53, nodePort: 0, externalIPs: [],
    affinitySeconds: 0, externalLocal: false, internalLocal: false,
    clusterEndpoints: eps.map((ip) => ({ ip, port: 53, local: false })), localEndpoints: [], ...over,
  };
}

test('a UDP endpoint that went away has its flows deleted, for the cluster IP and the node port', () => {
  assert.deepEqual(staleUdpFlows([port(['10.244.1.5', '10.244.2.5'], { nodePort: 30053 })], [port(['10.244.1.5'], { nodePort: 30053 })]), [
    ['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--dst-nat', '10.244.2.5'],
    ['-D', '-p', 'udp', '--orig-port-dst', '30053', '--dst-nat', '10.244.2.5'],
  ]);
});

test('a UDP service that gets its first endpoint drops its untranslated flows; TCP is left alone', () => {
  assert.deepEqual(staleUdpFlows([port([])], [port(['10.244.1.5'])]), [['-D', '-p', 'udp', '--orig-dst', '10.96.0.10']]);
  assert.deepEqual(staleUdpFlows([port(['10.244.1.5'], { protocol: 'tcp' })], [port([], { protocol: 'tcp' })]), []);
});

test('a removed UDP service drops the flows to all its endpoints', () => {
  assert.deepEqual(staleUdpFlows([port(['10.244.1.5'])], []), [['-D', '-p', 'udp', '--orig-dst', '10.96.0.10', '--dst-nat', '10.244.1.5']]);
});
