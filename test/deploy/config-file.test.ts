/**
 * `--config FILE` for skiff-master and skiff-agent: YAML keys = the flags in camelCase,
 * every key checked, errors name the file and the key, unknown keys refused.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError as MasterConfigError, parseFlags, usage as masterUsage } from '@skiff/master';
import { expandMasterConfigFlag, masterConfigToFlags, MASTER_CONFIG_FLAGS, MASTER_CONFIG_KEYS, readMasterConfigFile } from '@skiff/master';
import { AgentConfigError, parseAgentFlags, agentUsage } from '@skiff/agent';
import { agentConfigToFlags, AGENT_CONFIG_FLAGS, AGENT_CONFIG_KEYS, expandAgentConfigFlag, readAgentConfigFile } from '@skiff/agent';
import { tempDir as makeTempDir } from './helpers';

const dirs: string[] = [];
function tempDir(prefix: string): string {
  const d = makeTempDir(prefix);
  dirs.push(d);
  return d;
}
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const M = '/etc/skiff/master.yaml';

/** The named fields of a config (fields added to the config later do not break the test). */
function pick<T extends object>(o: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
}
const A = '/etc/skiff/agent.yaml';

function masterError(text: string): string {
  try {
    masterConfigToFlags(text, M);
  } catch (e) {
    assert.ok(e instanceof MasterConfigError, `want a master ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`no error for:\n${text}`);
}

function agentError(text: string): string {
  try {
    agentConfigToFlags(text, A);
  } catch (e) {
    assert.ok(e instanceof AgentConfigError, `want an agent ConfigError, got ${String(e)}`);
    return e.message;
  }
  assert.fail(`no error for:\n${text}`);
}

const GOOD_MASTER = `apiVersion: skiff.io/v1alpha1
kind: MasterConfiguration
home: /var/lib/skiff/master
etcdServers: http://192.168.200.100:2379,http://192.168.200.101:2379
bindAddress: 0.0.0.0
securePort: 6443
advertiseAddress: 192.168.200.100
agentGatewayPort: 9443
serviceClusterIPRange: 10.96.0.0/12
serviceNodePortRange: 30000-32767
logFile: /var/log/skiff/master.log
tokenAuthFile: /etc/skiff/tokens.csv
bookmarkInterval: 30000
certCheckInterval: 600000
`;

describe('master config file', () => {
  it('turns a good file into the flags parseFlags takes', () => {
    const cfg = parseFlags(masterConfigToFlags(GOOD_MASTER, M), {});
    assert.deepEqual(pick(cfg, ['home', 'etcdServers', 'bindAddress', 'securePort', 'agentGatewayPort', 'advertiseAddress', 'serviceClusterIPRange',
      'nodePortRange', 'bookmarkIntervalMs', 'certCheckIntervalMs', 'logFile', 'tokenAuthFile']), {
      home: '/var/lib/skiff/master',
      etcdServers: ['http://192.168.200.100:2379', 'http://192.168.200.101:2379'],
      bindAddress: '0.0.0.0',
      securePort: 6443,
      agentGatewayPort: 9443,
      advertiseAddress: '192.168.200.100',
      serviceClusterIPRange: '10.96.0.0/12',
      nodePortRange: [30000, 32767],
      bookmarkIntervalMs: 30000,
      certCheckIntervalMs: 600000,
      logFile: '/var/log/skiff/master.log',
      tokenAuthFile: '/etc/skiff/tokens.csv',
    });
  });

  it('has a key for every flag of skiff-master (as its usage lists them)', () => {
    const flags = (masterUsage().match(/^ {2}--[a-z-]+/gm) ?? []).map((f) => f.trim()).filter((f) => f !== '--config');
    assert.ok(flags.length >= 11, masterUsage());
    assert.deepEqual(Object.values(MASTER_CONFIG_FLAGS).sort(), flags.sort());
  });

  it('takes etcdServers as a YAML list, ports as strings, and an empty file', () => {
    assert.deepEqual(masterConfigToFlags('etcdServers:\n  - http://a:2379\n  - https://b:2379\nsecurePort: "7443"\n', M),
      ['--etcd-servers', 'http://a:2379,https://b:2379', '--secure-port', '7443']);
    assert.deepEqual(masterConfigToFlags('', M), []);
    assert.deepEqual(masterConfigToFlags('# only a comment\n', M), []);
  });

  it('names the key of a bad value', () => {
    assert.equal(masterError('securePort: abc\n'), `${M}: securePort: must be a port number, got "abc"`);
    assert.equal(masterError('securePort: 70000\n'), `${M}: securePort: must be a port number, got 70000`);
    assert.equal(masterError('agentGatewayPort: 1.5\n'), `${M}: agentGatewayPort: must be a port number, got 1.5`);
    assert.equal(masterError('advertiseAddress: master.example\n'), `${M}: advertiseAddress: must be an IP address, got "master.example"`);
    assert.equal(masterError('etcdServers: [http://a:2379, 127.0.0.1:2379]\n'), `${M}: etcdServers: must be a list of URLs like http://127.0.0.1:2379, got "127.0.0.1:2379"`);
    assert.equal(masterError('serviceClusterIPRange: 10.96.0.0\n'), `${M}: serviceClusterIPRange: must be an IPv4 CIDR like 10.96.0.0/12, got "10.96.0.0"`);
    assert.equal(masterError('serviceNodePortRange: 32767-30000\n'), `${M}: serviceNodePortRange: must be a port range like 30000-32767, got "32767-30000"`);
    assert.equal(masterError('home: var/lib/skiff\n'), `${M}: home: must be an absolute path, got "var/lib/skiff"`);
    assert.equal(masterError('logFile:\n'), `${M}: logFile: must be an absolute path, got nothing`);
    assert.equal(masterError('bookmarkInterval: -5\n'), `${M}: bookmarkInterval: must be a positive number of milliseconds, got -5`);
    assert.equal(masterError('home: {a: 1}\n'), `${M}: home: must be an absolute path, got a mapping`);
  });

  it('refuses unknown keys, naming them and the known ones', () => {
    assert.equal(masterError('securePort: 6443\nsecurePorts: 6443\n'),
      `${M}: securePorts: unknown key (known keys: ${MASTER_CONFIG_KEYS.join(', ')})`);
    // flag spellings are not keys
    assert.match(masterError('secure-port: 6443\n'), /^\/etc\/skiff\/master\.yaml: secure-port: unknown key/);
    // keys are case-sensitive; nothing from Object.prototype sneaks in
    assert.match(masterError('SecurePort: 6443\n'), /: SecurePort: unknown key/);
    assert.match(masterError('constructor: x\n'), /: constructor: unknown key/);
  });

  it('checks the header, the shape and the YAML itself', () => {
    assert.equal(masterError('apiVersion: v1\n'), `${M}: apiVersion: must be skiff.io/v1alpha1, got "v1"`);
    assert.equal(masterError('kind: AgentConfiguration\n'), `${M}: kind: must be MasterConfiguration, got "AgentConfiguration"`);
    assert.equal(masterError('- securePort: 6443\n'), `${M}: must be a YAML mapping of key: value, got a list`);
    assert.equal(masterError('just text\n'), `${M}: must be a YAML mapping of key: value, got "just text"`);
    assert.equal(masterError('securePort: 1\nsecurePort: 2\n'), `${M}: line 2: not valid YAML: Map keys must be unique`);
    assert.match(masterError('home: /a\netcdServers: [http://a:2379\n'), /^\/etc\/skiff\/master\.yaml: line \d+: not valid YAML: /);
  });

  it('--config: file flags first, command-line flags override them', () => {
    const dir = tempDir('skiff-config-');
    const file = join(dir, 'master.yaml');
    writeFileSync(file, 'securePort: 7443\nadvertiseAddress: 10.0.0.1\n');
    const argv = expandMasterConfigFlag(['--config', file, '--secure-port', '8443']);
    assert.deepEqual(argv, ['--secure-port', '7443', '--advertise-address', '10.0.0.1', '--secure-port', '8443']);
    const cfg = parseFlags(argv, {});
    assert.equal(cfg.securePort, 8443);
    assert.equal(cfg.advertiseAddress, '10.0.0.1');
    assert.deepEqual(expandMasterConfigFlag([`--config=${file}`]), ['--secure-port', '7443', '--advertise-address', '10.0.0.1']);
    assert.deepEqual(expandMasterConfigFlag(['--home', '/x']), ['--home', '/x']);
    assert.throws(() => expandMasterConfigFlag(['--config', file, '--config', file]), { message: '--config: given more than once' });
    assert.throws(() => expandMasterConfigFlag(['--config']), { message: 'flag needs a value: --config' });
    assert.throws(() => readMasterConfigFile(join(dir, 'missing.yaml')), (e: Error) => e instanceof MasterConfigError && e.message === `${join(dir, 'missing.yaml')}: cannot read the config file: ENOENT`);
    writeFileSync(file, 'securePort: abc\n');
    assert.throws(() => expandMasterConfigFlag(['--config', file]), { message: `${file}: securePort: must be a port number, got "abc"` });
  });
});

const GOOD_AGENT = `apiVersion: skiff.io/v1alpha1
kind: AgentConfiguration
home: /var/lib/skiff
join: 192.168.200.100:9443
token: abcdef.0123456789abcdef
caHash: sha256:${'0123456789abcdef'.repeat(4)}
nodeName: skiff-node1
nodeIP: 192.168.200.101
dockerHost: unix:///var/run/docker.sock
logFile: /var/log/skiff/agent.log
podNetwork: bridge
nodeStatusInterval: 30s
leaseRenewInterval: 5
allowedRegistries: [127.0.0.1:5000, registry.example.com]
`;

describe('agent config file', () => {
  it('turns a good file into the flags parseAgentFlags takes', () => {
    const cfg = parseAgentFlags(agentConfigToFlags(GOOD_AGENT, A), {});
    assert.deepEqual(pick(cfg, ['home', 'join', 'token', 'caHash', 'nodeName', 'nodeIP', 'dockerHost', 'logFile', 'podNetwork',
      'leaseRenewIntervalMs', 'nodeStatusIntervalMs', 'allowedRegistries']), {
      home: '/var/lib/skiff',
      join: '192.168.200.100:9443',
      token: 'abcdef.0123456789abcdef',
      caHash: `sha256:${'0123456789abcdef'.repeat(4)}`,
      nodeName: 'skiff-node1',
      nodeIP: '192.168.200.101',
      dockerHost: 'unix:///var/run/docker.sock',
      logFile: '/var/log/skiff/agent.log',
      podNetwork: 'bridge',
      leaseRenewIntervalMs: 5000,
      nodeStatusIntervalMs: 30000,
      allowedRegistries: ['127.0.0.1:5000', 'registry.example.com'],
    });
  });

  it('has a key for every flag of skiff-agent (as its usage lists them)', () => {
    const flags = (agentUsage().match(/^ {2}--[a-z-]+/gm) ?? []).map((f) => f.trim()).filter((f) => f !== '--config');
    assert.ok(flags.length >= 12, agentUsage());
    assert.deepEqual(Object.values(AGENT_CONFIG_FLAGS).sort(), flags.sort());
  });

  it('names the key of a bad value', () => {
    assert.equal(agentError('join: master\n'), `${A}: join: must be host:port like 192.168.200.100:9443, got "master"`);
    assert.equal(agentError('join: master:99999\n'), `${A}: join: must be host:port like 192.168.200.100:9443, got "master:99999"`);
    assert.equal(agentError('caHash: abc\n'), `${A}: caHash: must be sha256:<64 hex digits>, got "abc"`);
    // the token itself is not repeated in the error
    assert.equal(agentError('token: secret-token\n'), `${A}: token: must be a bootstrap token like abcdef.0123456789abcdef, got a string of 12 characters`);
    assert.equal(agentError('nodeIP: 300.1.1.1\n'), `${A}: nodeIP: must be an IP address, got "300.1.1.1"`);
    assert.equal(agentError('nodeName: Node_1\n'), `${A}: nodeName: must be a lower-case DNS name (RFC 1123 subdomain), got "Node_1"`);
    assert.equal(agentError('nodeStatusInterval: soon\n'), `${A}: nodeStatusInterval: must be a duration like 10s, 500ms or 1m, got "soon"`);
    assert.equal(agentError('leaseRenewInterval: 0\n'), `${A}: leaseRenewInterval: must be a duration like 10s, 500ms or 1m, got 0`);
    assert.equal(agentError('dockerHost: docker.sock\n'), `${A}: dockerHost: must be unix:///path, /path or tcp://host:port, got "docker.sock"`);
    assert.equal(agentError('allowedRegistries: [ok:5000, "bad registry"]\n'), `${A}: allowedRegistries: must be a list of registry hosts like 127.0.0.1:5000, got "bad registry"`);
  });

  it('refuses unknown keys', () => {
    assert.equal(agentError('nodeIp: 192.168.200.101\n'), `${A}: nodeIp: unknown key (known keys: ${AGENT_CONFIG_KEYS.join(', ')})`);
    assert.equal(agentError('kind: MasterConfiguration\n'), `${A}: kind: must be AgentConfiguration, got "MasterConfiguration"`);
  });

  it('--config: file flags first, command-line flags override them', () => {
    const dir = tempDir('skiff-config-');
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, 'nodeName: from-file\njoin: 10.0.0.1:9443\n');
    const cfg = parseAgentFlags(expandAgentConfigFlag(['--config', file, '--node-name', 'from-flag']), {});
    assert.equal(cfg.nodeName, 'from-flag');
    assert.equal(cfg.join, '10.0.0.1:9443');
    assert.throws(() => readAgentConfigFile(join(dir, 'nope.yaml')), (e: Error) => e instanceof AgentConfigError && /nope\.yaml: cannot read the config file: ENOENT$/.test(e.message));
  });
});
