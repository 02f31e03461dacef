/**
 * The systemd units of deploy/systemd/, as install.sh installs them (dry run into a
 * temporary root), pass `systemd-analyze verify`, with no warning either.
 *
 * verify is run on the installed unit files in <root>/etc/systemd/system (not with
 * --root: that would need a whole systemd tree in the root). systemd-analyze adds that
 * directory to the unit search path, so the units find each other and the drop-in
 * skiff-master.service.d/10-etcd.conf; docker.service, etcd.service and the targets come
 * from the host. verify checks that ExecStart's program exists: /usr/bin/node and
 * /usr/bin/etcd must exist on the host (the test installs etcd-server and docker.io when
 * they are missing, as scripts/test.sh does); the script node runs
 * (/opt/skiff/packages/.../main.js, an argument verify does not look at) is checked
 * here to exist in the root's copy of /opt/skiff.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CA_HASH, dryRun, ensureAptPackage, fakeSource, hasCommand, INSTALL, LAB_MEMBERS, run, tempDir, TOKEN } from './helpers';

let skipReason: string | undefined;
const roots: string[] = [];
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

before(() => {
  skipReason = ensureAptPackage('systemd', () => hasCommand('systemd-analyze'));
  if (skipReason) return;
  // Units the skiff units name (Requires=docker.service, Conflicts=etcd.service) and
  // ExecStart programs must exist for verify.
  skipReason = ensureAptPackage('etcd-server', () => existsSync('/usr/bin/etcd'))
    ?? ensureAptPackage('docker.io', () => existsSync('/lib/systemd/system/docker.service') || existsSync('/usr/lib/systemd/system/docker.service'));
  if (!existsSync('/usr/bin/node')) skipReason = `/usr/bin/node does not exist (node here is ${process.execPath}); the units run /usr/bin/node`;
});

const SCENARIOS: Record<string, string[]> = {
  'master, local etcd': ['--role', 'master', '--advertise-address', '192.168.200.100'],
  'master, etcd cluster member': ['--role', 'master', '--advertise-address', '192.168.200.100', '--etcd-members', LAB_MEMBERS],
  agent: ['--role', 'agent', '--join', '192.168.200.100:9443', '--token', TOKEN, '--ca-hash', CA_HASH],
  'etcd member': ['--role', 'etcd', '--advertise-address', '192.168.200.101', '--etcd-members', LAB_MEMBERS],
};

function execStart(unitText: string): string[] {
  const line = unitText.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(line, 'no ExecStart=');
  return line.slice('ExecStart='.length).trim().split(/\s+/);
}

describe('systemd units pass systemd-analyze verify', () => {
  for (const [name, args] of Object.entries(SCENARIOS)) {
    it(name, (t) => {
      if (skipReason) { t.skip(skipReason); return; }
      const root = tempDir('skiff-units-');
      roots.push(root);
      dryRun(INSTALL, [...args, '--source', fakeSource()], root);
      const unitDir = join(root, 'etc/systemd/system');
      const units = readdirSync(unitDir).filter((f) => f.endsWith('.service'));
      assert.ok(units.length > 0);
      for (const u of units) {
        const file = join(unitDir, u);
        const r = run('systemd-analyze', ['verify', '--man=no', file]);
        assert.equal(r.code, 0, `systemd-analyze verify ${u} failed:\n${r.stderr}${r.stdout}`);
        assert.equal(r.stderr.trim(), '', `systemd-analyze verify ${u} warned:\n${r.stderr}`);
        const text = readFileSync(file, 'utf8');
        const argv = execStart(text);
        assert.ok(existsSync(argv[0]!), `${u}: ${argv[0]} does not exist`);
        if (argv[0] === '/usr/bin/node') assert.ok(existsSync(join(root, argv[1]!)), `${u}: ${argv[1]} is not in the installed copy`);
        assert.match(text, /^Restart=on-failure$/m, `${u}: Restart=on-failure`);
        assert.match(text, /^NoNewPrivileges=yes$/m, `${u}: NoNewPrivileges=yes`);
      }
    });
  }

  it('master and etcd hardening: systemd-analyze security exposure at most 4.0 (agent: root by design)', (t) => {
    if (skipReason) { t.skip(skipReason); return; }
    const root = tempDir('skiff-units-');
    roots.push(root);
    dryRun(INSTALL, [...SCENARIOS['master, local etcd']!, '--source', fakeSource()], root);
    for (const u of ['skiff-master.service', 'skiff-etcd.service']) {
      const r = run('systemd-analyze', ['security', '--offline=yes', '--threshold=40', '--no-pager', join(root, 'etc/systemd/system', u)]);
      const level = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1];
      t.diagnostic(`${u}: exposure ${level}`);
      assert.equal(r.code, 0, `${u}: exposure ${level} above 4.0\n${r.stdout.slice(-3000)}`);
    }
  });

  it('verify reads the drop-in: without skiff-etcd.service the master with a local etcd fails', (t) => {
    if (skipReason) { t.skip(skipReason); return; }
    const root = tempDir('skiff-units-');
    roots.push(root);
    dryRun(INSTALL, [...SCENARIOS['master, local etcd']!, '--source', fakeSource()], root);
    rmSync(join(root, 'etc/systemd/system/skiff-etcd.service'));
    const r = run('systemd-analyze', ['verify', '--man=no', join(root, 'etc/systemd/system/skiff-master.service')]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /skiff-etcd\.service not found/);
  });
});
