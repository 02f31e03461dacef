import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { issueCert } from '@skiff/apiserver';
import { ControlPlane, REPO, run, waitFor } from '../lib/control-plane';

const SKIFF = join(REPO, 'packages/master/dist/skiff.js');

function servedCert(port: number): Promise<{ serial: string; validTo: string }> {
  return new Promise((res, rej) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      const c = s.getPeerCertificate();
      s.end();
      res({ serial: c.serialNumber, validTo: c.valid_to });
    });
    s.on('error', rej);
  });
}

describe('operations: etcd snapshots and certificates', () => {
  let cp: ControlPlane;
  before(async () => { cp = await ControlPlane.start(['--cert-check-interval', '300']); });
  after(async () => { await cp?.stop(); });

  it('snapshots etcd, the CA and config into one archive and restores every object into an empty data dir', async () => {
    await cp.k(['create', 'namespace', 'snap']);
    await cp.k(['create', 'configmap', 'keep', '-n', 'snap', '--from-literal=a=1']);
    await cp.k(['create', 'deployment', 'keep', '-n', 'snap', '--image=skiff/web:1']);
    await cp.k(['create', 'secret', 'generic', 'keep', '-n', 'snap', '--from-literal=p=q']);
    const dump = async (): Promise<string> => {
      const out = JSON.parse(await cp.k(['get', 'configmaps,deployments,secrets,services', '-n', 'snap', '-o', 'json'])) as { items: { kind: string; metadata: { name: string; uid: string }; data?: unknown; spec?: unknown }[] };
      return JSON.stringify(out.items.map((i) => [i.kind, i.metadata.name, i.metadata.uid, i.data, i.spec]).sort());
    };
    const before = await dump();
    const caBefore = readFileSync(join(cp.dir, 'pki', 'ca.crt'), 'utf8');
    const file = join(cp.dir, 'backup.tar.gz');
    const save = await run(process.execPath, [SKIFF, 'etcd', 'snapshot', 'save', file, '--home', cp.dir, '--etcd-servers', cp.etcd.clientUrl]);
    assert.equal(save.code, 0, save.stderr);
    assert.match(save.stdout, /Snapshot saved at/);
    const listing = await run('tar', ['-tzf', file]);
    assert.match(listing.stdout, /etcd\.db/);
    assert.match(listing.stdout, /pki\/ca\.crt/);

    // Wipe: stop everything, remove etcd's data and the PKI.
    await cp.stopMaster();
    await cp.etcd.stop();
    rmSync(cp.etcd.dataDir, { recursive: true, force: true });
    rmSync(join(cp.dir, 'pki'), { recursive: true, force: true });

    const restore = await run(process.execPath, [SKIFF, 'etcd', 'snapshot', 'restore', file, '--data-dir', cp.etcd.dataDir, '--home', cp.dir, '--name', cp.etcd.name, '--initial-advertise-peer-urls', cp.etcd.peerUrl]);
    assert.equal(restore.code, 0, restore.stderr);
    const refused = await run(process.execPath, [SKIFF, 'etcd', 'snapshot', 'restore', file, '--data-dir', cp.etcd.dataDir, '--home', cp.dir]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /not empty/);

    await cp.etcd.start();
    await cp.startMaster(['--cert-check-interval', '300']);
    assert.equal(readFileSync(join(cp.dir, 'pki', 'ca.crt'), 'utf8'), caBefore, 'same CA after restore');
    assert.equal(await dump(), before);
  });

  it('lists certificate expiry and rotates the serving certificate without a restart', async () => {
    const check = await run(process.execPath, [SKIFF, 'certs', 'check', '--home', cp.dir]);
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /^CERTIFICATE\s+EXPIRES\s+RESIDUAL TIME\s+CERTIFICATE AUTHORITY$/m);
    assert.match(check.stdout, /^apiserver\s+.*\s+36[45]d\s+no$/m);
    assert.match(check.stdout, /^ca\s+.*\s+\d+d\s+yes$/m);

    // An apiserver certificate five days from expiry appears on disk; the running master must
    // replace it within its check interval, keeping its PID.
    const pid = cp.master!.pid;
    const ca = { cert: readFileSync(join(cp.dir, 'pki', 'ca.crt'), 'utf8'), key: readFileSync(join(cp.dir, 'pki', 'ca.key'), 'utf8') };
    const short = await issueCert(ca, { commonName: 'skiff-apiserver', dnsNames: ['localhost'], ips: ['127.0.0.1'], server: true, days: 5 });
    writeFileSync(join(cp.dir, 'pki', 'apiserver.crt'), short.cert);
    writeFileSync(join(cp.dir, 'pki', 'apiserver.key'), short.key);
    const before = await servedCert(cp.port);
    const rotated = await waitFor('rotated serving certificate', async () => {
      const now = await servedCert(cp.port);
      return now.serial !== before.serial ? now : undefined;
    }, 15_000);
    assert.ok(new Date(rotated.validTo).getTime() > Date.now() + 300 * 86_400_000, `new certificate valid to ${rotated.validTo}`);
    assert.equal(cp.master!.pid, pid);
    assert.equal(cp.master!.exitCode, null);
    assert.equal((await cp.kubectl(['get', 'ns', 'default'])).code, 0);
  });
});
