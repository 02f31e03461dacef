import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Service } from 'kubernetes-types/core/v1';
import { ServiceCache, serviceEnvVars } from './service-env';

const svc = (ns: string, name: string, clusterIP: string, ports: NonNullable<Service['spec']>['ports'] = [{ port: 80 }]): Service =>
  ({ metadata: { namespace: ns, name }, spec: { clusterIP, ports } });
const pod = (ns: string, enableServiceLinks?: boolean): Pod =>
  ({ metadata: { namespace: ns, name: 'p' }, spec: { containers: [], ...(enableServiceLinks !== undefined ? { enableServiceLinks } : {}) } });

test('docker-link style variables for every port, named ports get _SERVICE_PORT_<NAME>', () => {
  const env = serviceEnvVars(pod('shop'), [svc('shop', 'my-web', '10.96.0.20', [{ name: 'http', port: 80 }, { name: 'dns-udp', port: 53, protocol: 'UDP' }])]);
  assert.deepEqual(Object.fromEntries(env), {
    MY_WEB_SERVICE_HOST: '10.96.0.20',
    MY_WEB_SERVICE_PORT: '80',
    MY_WEB_SERVICE_PORT_HTTP: '80',
    MY_WEB_SERVICE_PORT_DNS_UDP: '53',
    MY_WEB_PORT: 'tcp://10.96.0.20:80',
    MY_WEB_PORT_80_TCP: 'tcp://10.96.0.20:80',
    MY_WEB_PORT_80_TCP_PROTO: 'tcp',
    MY_WEB_PORT_80_TCP_PORT: '80',
    MY_WEB_PORT_80_TCP_ADDR: '10.96.0.20',
    MY_WEB_PORT_53_UDP: 'udp://10.96.0.20:53',
    MY_WEB_PORT_53_UDP_PROTO: 'udp',
    MY_WEB_PORT_53_UDP_PORT: '53',
    MY_WEB_PORT_53_UDP_ADDR: '10.96.0.20',
  });
});

test('only the pod namespace, no headless services, the kubernetes service always', () => {
  const all = [
    svc('shop', 'a', '10.96.0.21'), svc('other', 'b', '10.96.0.22'), svc('shop', 'headless', 'None'),
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443 }]),
  ];
  const env = serviceEnvVars(pod('shop'), all);
  assert.equal(env.get('A_SERVICE_HOST'), '10.96.0.21');
  assert.equal(env.has('B_SERVICE_HOST'), false);
  assert.equal(env.has('HEADLESS_SERVICE_HOST'), false);
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
  assert.equal(env.get('KUBERNETES_PORT_443_TCP'), 'tcp://10.96.0.1:443');
  const off = serviceEnvVars(pod('shop', false), all);
  assert.deepEqual([...off.keys()].filter((k) => !k.startsWith('KUBERNETES_')), []);
  assert.equal(off.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
});

test('ServiceCache follows updates and deletions', () => {
  const c = new ServiceCache();
  c.updateService(svc('default', 'web', '10.96.0.30'));
  assert.equal(c.envFor(pod('default')).get('WEB_SERVICE_HOST'), '10.96.0.30');
  c.updateService(svc('default', 'web', '10.96.0.31'));
  assert.equal(c.envFor(pod('default')).get('WEB_SERVICE_HOST'), '10.96.0.31');
  c.deleteService(svc('default', 'web', ''));
  assert.equal(c.envFor(pod('default')).has('WEB_SERVICE_HOST'), false);
});
