/** skiffctl completion bash: the generated script, sourced in bash, completes types and names. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ControlPlane, REPO, run } from '../lib/control-plane';

const SKIFFCTL = join(REPO, 'packages/ctl/dist/main.js');

describe('skiffctl completion bash', () => {
  let cp: ControlPlane;
  before(async () => {
    cp = await ControlPlane.start();
    await cp.k(['create', 'namespace', 'comp']);
    for (const n of ['alpha-pod', 'beta-pod']) {
      await cp.k(['run', n, '-n', 'comp', '--image', 'skiff/busybox:latest', '--restart', 'Never']);
    }
  });
  after(async () => { await cp?.stop(); });

  /** COMPREPLY after pressing TAB at the end of `line` (a trailing space means a new, empty word). */
  async function tab(line: string): Promise<string[]> {
    const words = line.split(' ');
    const script = [
      `skiffctl() { ${JSON.stringify(process.execPath)} ${JSON.stringify(SKIFFCTL)} --kubeconfig ${JSON.stringify(cp.kubeconfig)} --cache-dir ${JSON.stringify(join(cp.dir, 'comp-cache'))} "$@"; }`,
      'source <(skiffctl completion bash)',
      `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      `COMP_LINE='${line}'`,
      'COMP_POINT=${#COMP_LINE}',
      'fn=$(complete -p skiffctl | sed -E "s/.*-F ([^ ]+).*/\\1/")',
      '"$fn" skiffctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const r = await run('bash', ['-c', script]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split('\n').filter((x) => x !== '');
  }

  it('prints a script that registers a completion function', async () => {
    const r = await run(process.execPath, [SKIFFCTL, 'completion', 'bash']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^complete -o default -F __skiffctl_complete skiffctl$/m);
    const bad = await run(process.execPath, [SKIFFCTL, 'completion', 'tcsh']);
    assert.deepEqual([bad.code, bad.stderr], [1, 'error: Unsupported shell type "tcsh".\n']);
  });

  it('completes commands, resource types, names and namespaces', async () => {
    assert.deepEqual(await tab('skiffctl ge'), ['get']);
    const types = await tab('skiffctl get po');
    assert.ok(types.includes('pods'), types.join(','));
    assert.ok(types.every((t) => t.startsWith('po')), types.join(','));
    assert.deepEqual(await tab('skiffctl get pods -n comp '), ['alpha-pod', 'beta-pod']);
    assert.deepEqual(await tab('skiffctl -n comp get pods '), ['alpha-pod', 'beta-pod']);
    assert.deepEqual(await tab('skiffctl describe pods -n comp b'), ['beta-pod']);
    assert.deepEqual(await tab('skiffctl get -n comp pod/a'), ['pod/alpha-pod']);
    assert.ok((await tab('skiffctl get pods -n ')).includes('comp'));
    // nothing in the default namespace: no pod names offered
    assert.deepEqual(await tab('skiffctl get pods zz'), []);
  });
});
