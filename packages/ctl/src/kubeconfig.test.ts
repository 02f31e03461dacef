import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig, restConfig, setCurrentContext } from './kubeconfig';
import { parseArgs } from './args';
import { cacheDirName } from './discovery';
import { run } from './main';

const A = `apiVersion: v1
kind: Config
current-context: a
clusters: [{name: c1, cluster: {server: "https://h:6443/", certificate-authority: ca.crt}}]
users: [{name: u1, user: {token: t1}}]
contexts: [{name: a, context: {cluster: c1, user: u1, namespace: ns-a}}, {name: b, context: {cluster: c1, user: u1}}]
`;
const B = `apiVersion: v1
kind: Config
current-context: b
clusters: [{name: c1, cluster: {server: "https://other:1"}}, {name: c2, cluster: {server: "http://x:2"}}]
contexts: [{name: c, context: {cluster: c2}}]
`;

describe('kubeconfig', () => {
  it('merges KUBECONFIG files, first one wins, resolves relative paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiffctl-kc-'));
    try {
      writeFileSync(join(dir, 'a'), A);
      writeFileSync(join(dir, 'b'), B);
      writeFileSync(join(dir, 'ca.crt'), 'CA');
      const env = { KUBECONFIG: `${join(dir, 'a')}:${join(dir, 'missing')}:${join(dir, 'b')}` };
      const kc = loadKubeConfig({}, env);
      assert.equal(kc.currentContext, 'a');
      assert.deepEqual(kc.clusters.map((c) => c.name), ['c1', 'c2']);
      const rc = restConfig(kc, {});
      assert.equal(rc.server, 'https://h:6443');
      assert.equal(rc.namespace, 'ns-a');
      assert.equal(rc.token, 't1');
      assert.equal(rc.ca?.toString(), 'CA');
      assert.equal(restConfig(kc, { context: 'b' }).namespace, 'default');
      assert.equal(restConfig(kc, { context: 'c', namespace: 'x' }).server, 'http://x:2');
      assert.throws(() => restConfig(kc, { context: 'zz' }), /context was not found for specified context: zz/);
      setCurrentContext(kc, 'b');
      assert.match(readFileSync(join(dir, 'a'), 'utf8'), /current-context: b/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('reports a missing --kubeconfig like kubectl', () => {
    assert.throws(() => loadKubeConfig({ kubeconfig: '/nonexistent/x' }), /^Error: error: stat \/nonexistent\/x: no such file or directory$/);
  });
});

describe('arguments and entry point', () => {
  it('parses pflag forms', () => {
    const p = parseArgs(['get', '-nfoo', '-o=yaml', '--selector', 'a=b', '-A', '--show-labels=false', '--from-literal=a=1', '--from-literal', 'b=2', '--', '-x']);
    assert.deepEqual(p.positional, ['get', '-x']);
    assert.equal(p.flags.get('namespace'), 'foo');
    assert.equal(p.flags.get('output'), 'yaml');
    assert.equal(p.flags.get('selector'), 'a=b');
    assert.equal(p.flags.get('all-namespaces'), true);
    assert.equal(p.flags.get('show-labels'), false);
    assert.deepEqual(p.flags.get('from-literal'), ['a=1', 'b=2']);
  });
  it('names the discovery cache directory like kubectl', () => {
    assert.equal(cacheDirName('https://127.0.0.1:6443'), '127.0.0.1_6443');
  });
  it('rejects unknown commands with exit code 1', async () => {
    let err = '';
    const code = await run(['frob'], { stdout: () => undefined, stderr: (s) => { err += s; } });
    assert.equal(code, 1);
    assert.equal(err, 'error: unknown command "frob" for "skiffctl"\n');
  });
  it('reports a refused connection like kubectl', async () => {
    let err = '';
    const code = await run(['get', 'pods', '--server', 'http://127.0.0.1:1', '--cache-dir', tmpdir() + '/skiffctl-none'], { stdout: () => undefined, stderr: (s) => { err += s; } }, {});
    assert.equal(code, 1);
    assert.equal(err, 'The connection to the server 127.0.0.1:1 was refused - did you specify the right host or port?\n');
  });
});
