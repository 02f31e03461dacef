import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect, createServer, type Server } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { ClusterRecords } from './cluster-records';
import { DnsServer, parseNameservers } from './dns-server';

const records = new ClusterRecords('cluster.local');
records.updateService({ metadata: { name: 'web', namespace: 'prod' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }, { name: 'dns', port: 53, protocol: 'UDP' }] } });
records.updateService({ metadata: { name: 'db', namespace: 'prod' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } });
records.updateService({ metadata: { name: 'ext', namespace: 'prod' }, spec: { type: 'ExternalName', externalName: 'example.org' } });
records.updateEndpointSlice({
  addressType: 'IPv4', metadata: { name: 'db-1', namespace: 'prod', labels: { 'kubernetes.io/service-name': 'db' } },
  ports: [{ name: 'pg', port: 5433 }],
  endpoints: [
    { addresses: ['10.244.1.7'], hostname: 'db-0', conditions: { ready: true } },
    { addresses: ['10.244.2.8'], conditions: { ready: true } },
    { addresses: ['10.244.3.9'], hostname: 'db-2', conditions: { ready: false } },
  ],
});

let server: DnsServer;
let port = 0;
const upstream = createSocket('udp4');
let upstreamPort = 0;
let upstreamQueries = 0;
let upstreamTcp: Server;

function upstreamAnswer(msg: Buffer): Buffer {
  upstreamQueries++;
  const q = dnsPacket.decode(msg);
  const name = q.questions?.[0]?.name ?? '';
  const answers: dnsPacket.Answer[] = name === 'example.org' ? [{ name, type: 'A', ttl: 60, data: '192.0.2.1' }] : [];
  return dnsPacket.encode({ type: 'response', id: q.id, flags: answers.length ? 0 : 3, questions: q.questions ?? [], answers });
}

before(async () => {
  // A fake upstream resolver: example.org A 192.0.2.1, everything else NXDOMAIN.
  await new Promise<void>((res) => upstream.bind(0, '127.0.0.1', () => res()));
  upstreamPort = upstream.address().port;
  upstream.on('message', (msg, r) => upstream.send(upstreamAnswer(msg), r.port, r.address));
  upstreamTcp = createServer((sock) => sock.once('data', (d: Buffer) => {
    const reply = upstreamAnswer(d.subarray(2));
    const hdr = Buffer.alloc(2);
    hdr.writeUInt16BE(reply.length);
    sock.end(Buffer.concat([hdr, reply]));
  }));
  await new Promise<void>((res) => upstreamTcp.listen(upstreamPort, '127.0.0.1', () => res()));
  server = new DnsServer({ records, host: '127.0.0.1', port: 0, upstreams: [{ host: '127.0.0.1', port: 1 }, { host: '127.0.0.1', port: upstreamPort }], upstreamTimeoutMs: 300 });
  port = await server.start();
});

after(async () => {
  await server.stop();
  upstream.close();
  upstreamTcp.close();
});

let nextId = 1;
function udpQuery(name: string, type: dnsPacket.RecordType): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const t = setTimeout(() => { s.close(); reject(new Error('timeout')); }, 3000);
    s.on('message', (m) => { clearTimeout(t); s.close(); resolve(dnsPacket.decode(m)); });
    s.send(dnsPacket.encode({ type: 'query', id: nextId++, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] }), port, '127.0.0.1');
  });
}

function tcpQuery(name: string, type: dnsPacket.RecordType): Promise<dnsPacket.DecodedPacket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('connect', () => s.write(dnsPacket.streamEncode({ type: 'query', id: nextId++, questions: [{ name, type, class: 'IN' }] })));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) { s.destroy(); resolve(dnsPacket.decode(buf.subarray(2))); }
    });
  });
}

const rcode = (p: dnsPacket.DecodedPacket): string => (p as unknown as { rcode: string }).rcode;
const data = (p: dnsPacket.DecodedPacket): unknown[] => (p.answers ?? []).map((a) => ('data' in a ? a.data : undefined));

test('parseNameservers reads resolv.conf', () => {
  assert.deepEqual(parseNameservers('# x\nsearch a b\nnameserver 10.0.0.2\nnameserver  fd00::1\noptions ndots:5\n'), ['10.0.0.2', 'fd00::1']);
});

test('a service name resolves to its ClusterIP (UDP and TCP), authoritatively', async () => {
  for (const q of [udpQuery, tcpQuery]) {
    const r = await q('web.prod.svc.cluster.local', 'A');
    assert.equal(rcode(r), 'NOERROR');
    assert.equal(r.flag_aa, true);
    assert.deepEqual(data(r), ['10.96.0.20']);
  }
});

test('a headless service resolves to its ready endpoints, and each by hostname', async () => {
  assert.deepEqual(data(await udpQuery('db.prod.svc.cluster.local', 'A')), ['10.244.1.7', '10.244.2.8']);
  assert.deepEqual(data(await udpQuery('db-0.db.prod.svc.cluster.local', 'A')), ['10.244.1.7']);
  assert.deepEqual(data(await udpQuery('10-244-2-8.db.prod.svc.cluster.local', 'A')), ['10.244.2.8']);
  assert.equal(rcode(await udpQuery('db-2.db.prod.svc.cluster.local', 'A')), 'NXDOMAIN', 'not ready');
});

test('SRV for named ports: the service name for a ClusterIP, each endpoint for a headless service', async () => {
  const web = await udpQuery('_http._tcp.web.prod.svc.cluster.local', 'SRV');
  assert.deepEqual(data(web), [{ priority: 0, weight: 100, port: 80, target: 'web.prod.svc.cluster.local' }]);
  assert.deepEqual(data(await udpQuery('_dns._udp.web.prod.svc.cluster.local', 'SRV')).length, 1);
  const db = await udpQuery('_pg._tcp.db.prod.svc.cluster.local', 'SRV');
  assert.deepEqual(data(db), [
    { priority: 0, weight: 100, port: 5433, target: 'db-0.db.prod.svc.cluster.local' },
    { priority: 0, weight: 100, port: 5433, target: '10-244-2-8.db.prod.svc.cluster.local' },
  ]);
  assert.deepEqual((db.additionals ?? []).map((a) => ('data' in a ? a.data : '')), ['10.244.1.7', '10.244.2.8']);
});

test('unknown cluster names are NXDOMAIN; a known name of another type is empty NOERROR', async () => {
  for (const n of ['nope.prod.svc.cluster.local', '_nope._tcp.web.prod.svc.cluster.local', 'x.y.z.w.v.svc.cluster.local', 'web.nons.svc.cluster.local']) {
    assert.equal(rcode(await udpQuery(n, 'A')), 'NXDOMAIN', n);
  }
  const aaaa = await udpQuery('web.prod.svc.cluster.local', 'AAAA');
  assert.deepEqual([rcode(aaaa), data(aaaa)], ['NOERROR', []]);
  assert.deepEqual(data(await udpQuery('10-244-1-5.prod.pod.cluster.local', 'A')), ['10.244.1.5']);
  assert.deepEqual(data(await udpQuery('ext.prod.svc.cluster.local', 'A')), ['example.org']);
});

test('other names go to the node resolvers (a dead one is skipped); none answering gives SERVFAIL', async () => {
  const before = upstreamQueries;
  const r = await udpQuery('example.org', 'A');
  assert.deepEqual(data(r), ['192.0.2.1']);
  assert.deepEqual(data(await tcpQuery('example.org', 'A')), ['192.0.2.1'], 'forwarded over TCP');
  assert.equal(rcode(await udpQuery('missing.example', 'A')), 'NXDOMAIN');
  assert.ok(upstreamQueries >= before + 2);
  const lonely = new DnsServer({ records, host: '127.0.0.1', port: 0, upstreams: [], upstreamTimeoutMs: 100 });
  const p = await lonely.start();
  const reply = await lonely.answer(dnsPacket.encode({ type: 'query', id: 7, questions: [{ name: 'example.org', type: 'A', class: 'IN' }] }), 'udp');
  assert.equal(rcode(dnsPacket.decode(reply!)), 'SERVFAIL');
  assert.ok(p > 0);
  await lonely.stop();
});
