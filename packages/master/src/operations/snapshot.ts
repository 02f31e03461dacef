import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, mkdirSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

function exec(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((res, rej) => {
    execFile(cmd, args, { env, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) rej(new Error(`${cmd} ${args.join(' ')}: ${String(stderr).trim() || err.message}`));
      else res(String(stdout));
    });
  });
}

const ETCDCTL_ENV = { ...process.env, ETCDCTL_API: '3' };

/**
 * `skiff etcd snapshot save <file>`: one gzipped tar holding the etcd snapshot (`etcd.db`),
 * the cluster PKI (`pki/`) and the master's config files (`config/`), so a restore brings
 * back every object and the identity clients and agents trust.
 */
export async function saveSnapshot(opts: { file: string; etcdEndpoint: string; home: string; configFiles?: string[] }): Promise<{ bytes: number }> {
  const work = mkdtempSync(join(tmpdir(), 'skiff-snapshot-'));
  try {
    await exec('etcdctl', ['--endpoints', opts.etcdEndpoint, 'snapshot', 'save', join(work, 'etcd.db')], ETCDCTL_ENV);
    const pki = join(opts.home, 'pki');
    if (!existsSync(pki)) throw new Error(`no PKI at ${pki}: is --home the master's home?`);
    mkdirSync(join(work, 'pki'));
    for (const f of readdirSync(pki)) copyFileSync(join(pki, f), join(work, 'pki', f));
    mkdirSync(join(work, 'config'));
    for (const f of opts.configFiles ?? []) if (existsSync(f)) copyFileSync(f, join(work, 'config', f.split('/').pop()!));
    const out = resolve(opts.file);
    await exec('tar', ['-C', work, '-czf', out, 'etcd.db', 'pki', 'config']);
    return { bytes: statSync(out).size };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * `skiff etcd snapshot restore <file>`: restores the etcd data into an empty data directory
 * (refuses a non-empty one, so nothing is overwritten by mistake) and puts the PKI back.
 */
export async function restoreSnapshot(opts: { file: string; dataDir: string; home: string; name?: string; peerURL?: string }): Promise<void> {
  if (existsSync(opts.dataDir) && readdirSync(opts.dataDir).length > 0) {
    throw new Error(`${opts.dataDir} is not empty: restore only into an empty data directory`);
  }
  const work = mkdtempSync(join(tmpdir(), 'skiff-restore-'));
  try {
    await exec('tar', ['-C', work, '-xzf', resolve(opts.file)]);
    if (!existsSync(join(work, 'etcd.db'))) throw new Error(`${opts.file} holds no etcd.db: not a skiff snapshot`);
    if (existsSync(opts.dataDir)) rmSync(opts.dataDir, { recursive: true, force: true });
    const name = opts.name ?? 'skiff';
    const peer = opts.peerURL ?? 'http://127.0.0.1:2380';
    await exec('etcdctl', ['snapshot', 'restore', join(work, 'etcd.db'), '--data-dir', opts.dataDir, '--name', name,
      '--initial-cluster', `${name}=${peer}`, '--initial-advertise-peer-urls', peer], ETCDCTL_ENV);
    const pki = join(opts.home, 'pki');
    mkdirSync(pki, { recursive: true, mode: 0o700 });
    for (const f of readdirSync(join(work, 'pki'))) copyFileSync(join(work, 'pki', f), join(pki, f));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
