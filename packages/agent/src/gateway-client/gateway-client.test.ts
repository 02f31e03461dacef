import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayCallError, GatewayClient, gatewayAddresses } from './gateway-client';

/** A throw-away self-signed certificate and key (the client needs some to build mTLS credentials). */
function selfSigned(): { ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gw-client-test-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=test', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    return { ca: cert, cert, key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two ports on 127.0.0.1 that refuse connections (bound, then closed). */
async function closedPorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    ports.push((s.address() as { port: number }).port);
    servers.push(s);
  }
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

test('gatewayAddresses: comma lists and arrays, trimmed, without duplicates', () => {
  assert.deepEqual(gatewayAddresses('10.0.0.1:9443, 10.0.0.2:9443,,10.0.0.1:9443'), ['10.0.0.1:9443', '10.0.0.2:9443']);
  assert.deepEqual(gatewayAddresses(['a:1', 'b:2']), ['a:1', 'b:2']);
  assert.deepEqual(gatewayAddresses(''), []);
});

test('an unreachable master makes the next call go to the next master, round robin', async () => {
  const [p1, p2] = await closedPorts(2);
  const client = new GatewayClient(`127.0.0.1:${p1},127.0.0.1:${p2}`, selfSigned());
  const switched: string[] = [];
  client.onSwitch((a) => switched.push(a));
  try {
    assert.equal(client.address, `127.0.0.1:${p1}`);
    await assert.rejects(client.renewLease(40), (e: unknown) => e instanceof GatewayCallError && e.code === 14);
    assert.equal(client.address, `127.0.0.1:${p2}`);
    // Several calls failing on the same master switch once, not once each.
    await Promise.allSettled([client.renewLease(40), client.renewLease(40), client.renewLease(40)]);
    assert.equal(client.address, `127.0.0.1:${p1}`);
    assert.deepEqual(switched, [`127.0.0.1:${p2}`, `127.0.0.1:${p1}`]);
    // The assignment stream failing counts too.
    const err = await new Promise<Error | undefined>((r) => { client.watchAssignments(() => undefined, r); });
    assert.ok(err instanceof GatewayCallError);
    assert.equal(client.address, `127.0.0.1:${p2}`);
  } finally {
    client.close();
  }
});

test('with one master there is nothing to switch to', async () => {
  const [p1] = await closedPorts(1);
  const client = new GatewayClient(`127.0.0.1:${p1}`, selfSigned());
  try {
    await assert.rejects(client.renewLease(40));
    assert.equal(client.address, `127.0.0.1:${p1}`);
    assert.throws(() => new GatewayClient('', selfSigned()), /no gateway address/);
  } finally {
    client.close();
  }
});
