/**
 * vagrant/: `vagrant validate` accepts the lab's Vagrantfile and nodes.yaml, and refuses
 * a broken nodes.yaml with a message naming the problem. Vagrant comes from Debian's
 * `vagrant` package (installed here when missing). Validation runs with
 * --ignore-provider: checking the VirtualBox or libvirt provider blocks needs that
 * provider usable on this machine (VirtualBox is not in Debian 12; vagrant-libvirt
 * connects to a running libvirtd), which a test machine without a hypervisor is not.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureAptPackage, hasCommand, REPO, run, tempDir } from './helpers';

const LAB = join(REPO, 'vagrant');
let skipReason: string | undefined;
let work = '';

before(() => {
  skipReason = ensureAptPackage('vagrant', () => hasCommand('vagrant'));
  work = tempDir('skiff-vagrant-');
});
after(() => { if (work) rmSync(work, { recursive: true, force: true }); });

function validate(cwd: string): { code: number; out: string } {
  const env = {
    ...process.env,
    VAGRANT_CWD: cwd,
    VAGRANT_HOME: join(work, 'vagrant.d'),          // not ~/.vagrant.d
    VAGRANT_DOTFILE_PATH: join(work, 'dotfile'),    // no .vagrant/ in the repository
    VAGRANT_CHECKPOINT_DISABLE: '1',
    VAGRANT_NO_COLOR: '1',
  };
  const r = run('vagrant', ['validate', '--ignore-provider', '--no-tty'], { env, cwd, timeoutMs: 180_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

/** A copy of vagrant/ with nodes.yaml edited. */
function labCopy(name: string, edit: (yaml: string) => string): string {
  const dir = join(work, name, 'vagrant');
  mkdirSync(dir, { recursive: true });
  for (const f of ['Vagrantfile', 'provision.sh']) copyFileSync(join(LAB, f), join(dir, f));
  writeFileSync(join(dir, 'nodes.yaml'), edit(readFileSync(join(LAB, 'nodes.yaml'), 'utf8')));
  return dir;
}

describe('vagrant lab', () => {
  it('vagrant validate accepts vagrant/Vagrantfile and nodes.yaml', (t) => {
    if (skipReason) { t.skip(skipReason); return; }
    const r = validate(LAB);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /Vagrantfile validated successfully/);
    for (const m of ['skiff-master', 'skiff-node1', 'skiff-node2', 'skiff-node3']) assert.match(r.out, new RegExp(`${m}: Ignoring provider config`));
  });

  it('the lab is the documented topology', () => {
    const yaml = readFileSync(join(LAB, 'nodes.yaml'), 'utf8');
    for (const ip of ['192.168.200.100', '192.168.200.101', '192.168.200.102', '192.168.200.103']) assert.ok(yaml.includes(`ip: ${ip}`), ip);
    assert.equal(run('bash', ['-n', join(LAB, 'provision.sh')]).code, 0);
  });

  const broken: [string, (y: string) => string, RegExp][] = [
    ['two masters', (y) => y.replace(/role: worker/, 'role: master'), /want exactly one master, got 2/],
    ['a duplicate address', (y) => y.replace('ip: 192.168.200.103', 'ip: 192.168.200.102'), /nodes\[3\]\.ip: 192\.168\.200\.102 given twice/],
    ['an address outside the network', (y) => y.replace('ip: 192.168.200.103', 'ip: 10.0.0.3'), /nodes\[3\]\.ip: 10\.0\.0\.3 is outside network 192\.168\.200\.0\/24/],
    ['an even number of etcd members', (y) => y.replace(/(ip: 192\.168\.200\.103)/, '$1\n    etcd: true'), /want 1 or 3 \(or another odd number of\) etcd members, got 4/],
    ['an unknown node key', (y) => y.replace('role: master', 'role: master\n    ram: 4096'), /nodes\[0\]: unknown key ram/],
    ['a bad libvirt share', (y) => y.replace('libvirt_share: nfs', 'libvirt_share: smb'), /libvirt_share: want nfs or virtiofs/],
  ];
  for (const [name, edit, want] of broken) {
    it(`vagrant validate refuses nodes.yaml with ${name}`, (t) => {
      if (skipReason) { t.skip(skipReason); return; }
      const r = validate(labCopy(name.replace(/\W+/g, '-'), edit));
      assert.notEqual(r.code, 0, r.out);
      assert.match(r.out, want);
    });
  }
});
