/**
 * deploy/install.sh and deploy/uninstall.sh in dry-run mode: the steps they print and the
 * files they write under --root are compared with fixtures/<scenario>/ (steps.txt,
 * files.txt, files/...). SKIFF_UPDATE_FIXTURES=1 rewrites the fixtures; review the diff.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags } from '@skiff/master';
import { masterConfigToFlags } from '@skiff/master';
import { parseAgentFlags } from '@skiff/agent';
import { agentConfigToFlags } from '@skiff/agent';
import { CA_HASH, compareWithFixture, dryRun, fakeSource, INSTALL, LAB_MEMBERS, listFiles, normalise, run, tempDir, TOKEN, UNINSTALL } from './helpers';

const roots: string[] = [];
function root(): string {
  const r = tempDir('skiff-deploy-root-');
  roots.push(r);
  return r;
}
after(() => { for (const r of roots) rmSync(r, { recursive: true, force: true }); });

/** Scenarios other than the first install from a small stand-in of the repository. */
const src = (): string[] => ['--source', fakeSource()];

const AGENT_ARGS = ['--role', 'agent', '--join', '192.168.200.100:9443', '--token', TOKEN, '--ca-hash', CA_HASH,
  '--node-ip', '192.168.200.101', '--node-name', 'skiff-node1'];

describe('install.sh --dry-run', () => {
  it('master with a local etcd', () => {
    const r = root();
    const out = dryRun(INSTALL, ['--role', 'master', '--advertise-address', '192.168.200.100'], r);
    compareWithFixture('master-local-etcd', out.stdout, r);

    // The config it writes is one skiff-master accepts, with the values asked for.
    const yaml = readFileSync(join(r, 'etc/skiff/master.yaml'), 'utf8');
    const cfg = parseFlags(masterConfigToFlags(yaml, '/etc/skiff/master.yaml'), {});
    assert.equal(cfg.home, '/var/lib/skiff/master');
    assert.deepEqual(cfg.etcdServers, ['http://127.0.0.1:2379']);
    assert.equal(cfg.advertiseAddress, '192.168.200.100');

    // The copy in /opt/skiff: what runs, without tests; the workspace links resolve inside it.
    const opt = join(r, 'opt/skiff');
    for (const f of ['packages/master/dist/main.js', 'packages/master/dist/skiff.js', 'packages/agent/dist/main.js',
      'packages/api/generated/schemas.json', 'proto/agent/v1/agent.proto', 'node_modules/etcd3/package.json',
      'packages/agent/images/pause/pause.c', 'deploy/write-join-command.sh', 'deploy/build-pause-image.sh', 'deploy/uninstall.sh']) {
      assert.ok(existsSync(join(opt, f)), `missing /opt/skiff/${f}`);
    }
    assert.equal(readlinkSync(join(opt, 'node_modules/@skiff/api')), '../../packages/api');
    assert.equal(realpathSync(join(opt, 'node_modules/@skiff/master')), realpathSync(join(opt, 'packages/master')));
    assert.equal(run('find', [opt, '-name', '*.test.js', '-o', '-name', '*.tsbuildinfo']).stdout, '');
    assert.ok(!existsSync(join(opt, 'packages/master/src')), 'sources are not copied');

    // The copied programs load (all their modules resolve within /opt/skiff).
    const m = run(process.execPath, [join(opt, 'packages/master/dist/main.js'), '--no-such-flag']);
    assert.equal(m.code, 2, m.stderr);
    assert.match(m.stderr, /^skiff-master: unknown flag: --no-such-flag\n/);
    const a = run(process.execPath, [join(opt, 'packages/agent/dist/main.js'), '--no-such-flag']);
    assert.equal(a.code, 2, a.stderr);
    assert.match(a.stderr, /^skiff-agent: unknown flag: --no-such-flag\n/);
    const s = run(process.execPath, [join(opt, 'packages/master/dist/skiff.js')]);
    assert.equal(s.code, 2, s.stderr);
    assert.match(s.stderr, /usage:[\s\S]*skiff token create/);
  });

  it('master of the Vagrant lab: one member of a 3-member etcd, join command file', () => {
    const r = root();
    const out = dryRun(INSTALL, [...src(), '--role', 'master', '--advertise-address', '192.168.200.100', '--etcd-members', LAB_MEMBERS,
      '--join-command-file', '/vagrant/.skiff/join.sh'], r);
    compareWithFixture('master-etcd-cluster', out.stdout, r);
    const cfg = parseFlags(masterConfigToFlags(readFileSync(join(r, 'etc/skiff/master.yaml'), 'utf8'), 'master.yaml'), {});
    assert.deepEqual(cfg.etcdServers, ['http://192.168.200.100:2379', 'http://192.168.200.101:2379', 'http://192.168.200.102:2379']);
  });

  it('master with an external etcd', () => {
    const r = root();
    const out = dryRun(INSTALL, [...src(), '--role', 'master', '--advertise-address', '10.0.0.10', '--etcd', 'http://10.0.0.5:2379,http://10.0.0.6:2379',
      '--secure-port', '7443'], r);
    compareWithFixture('master-external-etcd', out.stdout, r);
  });

  it('agent', () => {
    const r = root();
    const out = dryRun(INSTALL, [...AGENT_ARGS, ...src()], r);
    compareWithFixture('agent', out.stdout, r);
    const cfg = parseAgentFlags(agentConfigToFlags(readFileSync(join(r, 'etc/skiff/agent.yaml'), 'utf8'), '/etc/skiff/agent.yaml'), {});
    assert.equal(cfg.join, '192.168.200.100:9443');
    assert.equal(cfg.token, TOKEN);
    assert.equal(cfg.caHash, CA_HASH);
    assert.equal(cfg.nodeIP, '192.168.200.101');
    assert.equal(cfg.nodeName, 'skiff-node1');
    assert.equal(cfg.home, '/var/lib/skiff');
    // the token is in the 0600 file, not in what the script prints
    assert.ok(!out.stdout.includes(TOKEN.split('.')[1]!), 'the token secret is printed');
  });

  it('etcd member of a worker', () => {
    const r = root();
    const out = dryRun(INSTALL, [...src(), '--role', 'etcd', '--advertise-address', '192.168.200.101', '--etcd-members', LAB_MEMBERS], r);
    compareWithFixture('etcd-member', out.stdout, r);
  });

  it('--node-binary is the node the units and commands use', () => {
    const r = root();
    const out = dryRun(INSTALL, [...AGENT_ARGS, ...src(), '--node-binary', '/usr/local/bin/node'], r);
    assert.match(out.stdout, /Node\.js for Skiff: \/usr\/local\/bin\/node/);
    assert.match(readFileSync(join(r, 'etc/systemd/system/skiff-agent.service'), 'utf8'), /^ExecStart=\/usr\/local\/bin\/node \/opt\/skiff\/packages\/agent\/dist\/main\.js --config \/etc\/skiff\/agent\.yaml$/m);
    assert.match(readFileSync(join(r, 'usr/local/bin/skiff-agent'), 'utf8'), /^exec \/usr\/local\/bin\/node /m);
  });

  it('refuses bad or missing options before doing anything', () => {
    const cases: [string[], RegExp][] = [
      [[], /--role is required/],
      [['--role', 'worker'], /--role: want master, agent or etcd, got "worker"/],
      [['--role', 'master'], /--role master needs --advertise-address/],
      [['--role', 'master', '--advertise-address', 'master.local'], /--advertise-address: want an IPv4 address/],
      [['--role', 'master', '--advertise-address', '10.0.0.1', '--etcd-members', 'a=10.0.0.2,b=10.0.0.3,c=10.0.0.4'], /this host \(10\.0\.0\.1\) is not one of the members/],
      [['--role', 'master', '--advertise-address', '10.0.0.1', '--etcd-members', 'a=10.0.0.1,a=10.0.0.3'], /member a given twice/],
      [['--role', 'master', '--advertise-address', '10.0.0.1', '--etcd-members', 'a=10.0.0.1,b=10.0.0.300'], /--etcd-members: want name=IPv4/],
      [['--role', 'master', '--advertise-address', '10.0.0.1', '--etcd', '10.0.0.5:2379'], /--etcd: want local or URLs/],
      [['--role', 'master', '--advertise-address', '10.0.0.1', '--secure-port', 'abc'], /--secure-port: want a port number, got "abc"/],
      [['--role', 'agent', '--join', '10.0.0.1:9443'], /--role agent needs --join HOST:PORT --token ID.SECRET --ca-hash/],
      [['--role', 'agent', '--join', '10.0.0.1', '--token', TOKEN, '--ca-hash', CA_HASH], /--join: want host:port/],
      [['--role', 'agent', '--join', '10.0.0.1:9443', '--token', 'x', '--ca-hash', CA_HASH], /--token: want a bootstrap token/],
      [['--role', 'agent', '--join', '10.0.0.1:9443', '--token', TOKEN, '--ca-hash', 'sha256:00'], /--ca-hash: want sha256:<64 hex digits>/],
      [['--role', 'etcd', '--advertise-address', '10.0.0.9', '--etcd-members', 'a=10.0.0.1'], /is not one of --etcd-members/],
      [['--role', 'master', '--advertise-address', '10.0.0.1', '--bogus'], /unknown option: --bogus/],
    ];
    for (const [args, want] of cases) {
      const r = run('bash', [INSTALL, ...args, '--dry-run']);
      assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}\n${r.stdout}`);
      assert.match(r.stderr, want, args.join(' '));
      assert.equal(r.stdout, '', `${args.join(' ')}: printed steps before refusing`);
    }
    const noRoot = run('bash', [INSTALL, '--role', 'etcd', '--etcd-members', 'a=10.0.0.1', '--etcd-name', 'a', '--root', '/tmp/x']);
    assert.equal(noRoot.code, 1);
    assert.match(noRoot.stderr, /--root only goes with --dry-run/);
  });

  it('prints the same steps without --root, and writes nothing', () => {
    const r = root();
    const withRoot = dryRun(INSTALL, [...AGENT_ARGS, ...src()], r);
    const plain = run('bash', [INSTALL, ...AGENT_ARGS, ...src(), '--dry-run']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout.replace(/^skiff install: role agent \(dry run\)\n/, ''),
      withRoot.stdout.replace(/^skiff install: role agent \(dry run, files under .*\)\n/, ''));
  });
});

describe('uninstall.sh --dry-run', () => {
  it('removes everything install.sh wrote for a master, keeping state without --purge', () => {
    const r = root();
    dryRun(INSTALL, [...src(), '--role', 'master', '--advertise-address', '192.168.200.100'], r);
    const out = dryRun(UNINSTALL, [], r);
    compareWithFixture('uninstall-master', out.stdout, r);
    assert.deepEqual(listFiles(r), [], 'files left behind');
  });

  it('removes an agent install, with --purge', () => {
    const r = root();
    dryRun(INSTALL, [...AGENT_ARGS, ...src()], r);
    const out = dryRun(UNINSTALL, ['--purge'], r);
    compareWithFixture('uninstall-agent-purge', out.stdout, r);
    assert.deepEqual(listFiles(r), []);
  });

  it('keeps a command in /usr/local/bin that install.sh did not write', () => {
    const r = root();
    dryRun(INSTALL, [...AGENT_ARGS, ...src()], r);
    run('sh', ['-c', `printf '#!/bin/sh\\necho mine\\n' > '${r}/usr/local/bin/skiff'`]);
    const out = dryRun(UNINSTALL, [], r);
    assert.match(normalise(out.stdout, r), /\/usr\/local\/bin\/skiff: kept \(not written by install\.sh\)/);
    assert.deepEqual(listFiles(r), ['usr/local/bin/skiff 0644']);
  });
});
