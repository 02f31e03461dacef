/**
 * Helpers of the deploy tests: run deploy/install.sh and deploy/uninstall.sh in dry-run
 * mode into a temporary root, list what they wrote, compare with fixtures, install apt
 * packages a test needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import assert from 'node:assert/strict';

function findRepo(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'deploy', 'install.sh')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no repository with deploy/install.sh above ${start}`);
  }
}

export const REPO = findRepo(__dirname);
export const INSTALL = join(REPO, 'deploy', 'install.sh');
export const UNINSTALL = join(REPO, 'deploy', 'uninstall.sh');
export const FIXTURES = join(REPO, 'test', 'deploy', 'fixtures');
/** SKIFF_UPDATE_FIXTURES=1 rewrites the fixtures from what the scripts do now. */
export const UPDATE = process.env.SKIFF_UPDATE_FIXTURES === '1';

export const CA_HASH = `sha256:${'0123456789abcdef'.repeat(4)}`;
export const TOKEN = 'abcdef.0123456789abcdef';
export const LAB_MEMBERS = 'skiff-master=192.168.200.100,skiff-node1=192.168.200.101,skiff-node2=192.168.200.102';

export interface Result { code: number; stdout: string; stderr: string }

export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Result {
  const r = spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', timeout: opts.timeoutMs ?? 300_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs a deploy script in dry-run mode into `root`; asserts success. */
export function dryRun(script: string, args: string[], root: string): Result {
  const r = run('bash', [script, ...args, '--dry-run', '--root', root]);
  assert.equal(r.code, 0, `${script} ${args.join(' ')} failed (${r.code}):\n${r.stderr}${r.stdout}`);
  return r;
}

let fake: string | undefined;

/**
 * A stand-in for a built repository, for `install.sh --source`: the files install.sh
 * checks and copies, a few bytes each instead of 140 MB of node_modules. Tests that
 * need the real programs in /opt/skiff install from REPO instead.
 */
export function fakeSource(): string {
  if (fake) return fake;
  const dir = mkdtempSync(join(tmpdir(), 'skiff-fake-source-'));
  const files: Record<string, string> = {
    'package.json': '{"name":"skiff","private":true}\n',
    'package-lock.json': '{}\n',
    'node_modules/.package-lock.json': '{}\n',
    'proto/agent/v1/agent.proto': 'syntax = "proto3";\n',
    'packages/api/package.json': '{}\n',
    'packages/api/generated/schemas.json': '{}\n',
    'packages/master/package.json': '{}\n',
    'packages/master/dist/main.js': '',
    'packages/master/dist/skiff.js': '',
    'packages/agent/package.json': '{}\n',
    'packages/agent/dist/main.js': '',
    'packages/agent/images/pause/pause.c': '',
    'packages/ctl/package.json': '{}\n',
    'packages/ctl/dist/main.js': '',
  };
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  run('cp', ['-a', join(REPO, 'deploy'), join(dir, 'deploy')]);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  fake = dir;
  return dir;
}

/** Output with the temporary root and the repository replaced by placeholders. */
export function normalise(text: string, root: string): string {
  let out = text.split(root).join('<ROOT>');
  if (fake) out = out.split(fake).join('<SOURCE>');
  return out.split(REPO).join('<SOURCE>');
}

/** Files and symlinks under root (relative paths, sorted), not descending into skip. */
export function listFiles(root: string, skip: string[] = ['opt/skiff']): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const rel = relative(root, p);
      if (skip.includes(rel)) { out.push(`${rel}/ (tree)`); continue; }
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${rel} ${(st.mode & 0o7777).toString(8).padStart(4, '0')}`);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/**
 * Compares the steps printed and the files written with fixtures/<name>/:
 * steps.txt, files.txt (paths and modes) and files/<path> (contents).
 */
export function compareWithFixture(name: string, stdout: string, root: string): void {
  const dir = join(FIXTURES, name);
  const steps = normalise(stdout, root);
  const files = listFiles(root);
  const contents = new Map<string, string>();
  for (const line of files) {
    if (line.endsWith('(tree)')) continue;
    const rel = line.slice(0, line.lastIndexOf(' '));
    contents.set(rel, normalise(readFileSync(join(root, rel), 'utf8'), root));
  }
  if (UPDATE) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'files'), { recursive: true });
    writeFileSync(join(dir, 'steps.txt'), steps);
    writeFileSync(join(dir, 'files.txt'), files.length ? `${files.join('\n')}\n` : '');
    for (const [rel, text] of contents) {
      mkdirSync(dirname(join(dir, 'files', rel)), { recursive: true });
      writeFileSync(join(dir, 'files', rel), text);
    }
    return;
  }
  assert.ok(existsSync(dir), `no fixture ${dir} (SKIFF_UPDATE_FIXTURES=1 creates it)`);
  assert.equal(steps, readFileSync(join(dir, 'steps.txt'), 'utf8'), `${name}: printed steps differ from fixtures/${name}/steps.txt`);
  const expected = readFileSync(join(dir, 'files.txt'), 'utf8').trimEnd();
  assert.deepEqual(files, expected === '' ? [] : expected.split('\n'), `${name}: written files differ from fixtures/${name}/files.txt`);
  for (const [rel, text] of contents) {
    assert.equal(text, readFileSync(join(dir, 'files', rel), 'utf8'), `${name}: ${rel} differs from fixtures/${name}/files/${rel}`);
  }
}

function aptCandidate(pkg: string): string | undefined {
  const r = run('apt-cache', ['policy', pkg]);
  const m = /Candidate:\s*(\S+)/.exec(r.stdout);
  return m && m[1] !== '(none)' ? m[1] : undefined;
}

/**
 * Makes sure a Debian package is installed (apt-get install -y, with services kept from
 * starting). Returns undefined when installed, or the reason it cannot be: only when the
 * package is not available from apt at all (then the test skips with that reason).
 * Any other failure throws.
 */
export function ensureAptPackage(pkg: string, present: () => boolean): string | undefined {
  if (present()) return undefined;
  if (run('sh', ['-c', 'command -v apt-get']).code !== 0) throw new Error(`${pkg} is missing and there is no apt-get to install it`);
  let candidate = aptCandidate(pkg);
  if (!candidate) {
    run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'update', '-q'], { timeoutMs: 600_000 });
    candidate = aptCandidate(pkg);
  }
  if (!candidate) return `the package ${pkg} is not available from this system's apt repositories`;
  const policy = '/usr/sbin/policy-rc.d';
  const made = !existsSync(policy);
  if (made) writeFileSync(policy, '#!/bin/sh\n# temporary, from skiff test/deploy\nexit 101\n', { mode: 0o755 });
  try {
    const r = run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-q', '--no-install-recommends', pkg],
      { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`apt-get install -y ${pkg} failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  } finally {
    if (made) rmSync(policy, { force: true });
  }
  if (!present()) throw new Error(`apt-get installed ${pkg} but it is still missing`);
  return undefined;
}

export function hasCommand(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).code === 0;
}
