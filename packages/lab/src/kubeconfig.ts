import { mkdirSync, writeFileSync, existsSync, copyFileSync, renameSync, chmodSync, rmSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { AdminCredentials } from './kube-api';
import { run, runOk } from './run-command';

export const LAB_CONTEXT = 'skiff-lab';

/** A kubeconfig whose cluster, user and context are all named `skiff-lab`. */
export function renderLabKubeconfig(server: string, creds: AdminCredentials): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${LAB_CONTEXT}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(creds.ca)}`,
    'users:',
    `- name: ${LAB_CONTEXT}-admin`,
    '  user:',
    `    client-certificate-data: ${b64(creds.cert)}`,
    `    client-key-data: ${b64(creds.key)}`,
    'contexts:',
    `- name: ${LAB_CONTEXT}`,
    '  context:',
    `    cluster: ${LAB_CONTEXT}`,
    `    user: ${LAB_CONTEXT}-admin`,
    '    namespace: default',
    `current-context: ${LAB_CONTEXT}`,
    '',
  ].join('\n');
}

export function writeLabKubeconfig(file: string, server: string, creds: AdminCredentials): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, renderLabKubeconfig(server, creds), { mode: 0o600 });
}

export function userKubeconfig(): string {
  return join(process.env.HOME ?? homedir(), '.kube', 'config');
}

/**
 * Merges the lab's cluster, user and context into ~/.kube/config with kubectl
 * (like scripts/up.sh), replacing older skiff-lab entries. The current context
 * of an existing file is kept: `kubectl --context skiff-lab` selects the lab.
 */
export async function mergeIntoUserKubeconfig(labFile: string, target = userKubeconfig()): Promise<void> {
  mkdirSync(dirname(target), { recursive: true });
  const tmp = mkdtempSync(join(tmpdir(), 'skiff-lab-kubeconfig-'));
  try {
    const merged = `${target}.skiff-lab-tmp`;
    if (existsSync(target)) {
      const base = join(tmp, 'base');
      copyFileSync(target, base);
      const env = { ...process.env, KUBECONFIG: base };
      await run('kubectl', ['config', 'delete-context', LAB_CONTEXT], { env });
      await run('kubectl', ['config', 'delete-cluster', LAB_CONTEXT], { env });
      await run('kubectl', ['config', 'unset', `users.${LAB_CONTEXT}-admin`], { env });
      writeFileSync(merged, await runOk('kubectl', ['config', 'view', '--flatten'], { env: { ...process.env, KUBECONFIG: `${base}:${labFile}` } }), { mode: 0o600 });
    } else {
      writeFileSync(merged, await runOk('kubectl', ['config', 'view', '--flatten'], { env: { ...process.env, KUBECONFIG: labFile } }), { mode: 0o600 });
    }
    chmodSync(merged, 0o600);
    renameSync(merged, target);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Removes the lab's entries from ~/.kube/config (and its current context if it was the lab). */
export async function removeFromUserKubeconfig(target = userKubeconfig()): Promise<void> {
  if (!existsSync(target)) return;
  const env = { ...process.env, KUBECONFIG: target };
  const current = (await run('kubectl', ['config', 'current-context'], { env })).stdout.trim();
  const has = (await run('kubectl', ['config', 'get-contexts', LAB_CONTEXT], { env })).code === 0;
  if (!has) return;
  await run('kubectl', ['config', 'delete-context', LAB_CONTEXT], { env });
  await run('kubectl', ['config', 'delete-cluster', LAB_CONTEXT], { env });
  await run('kubectl', ['config', 'unset', `users.${LAB_CONTEXT}-admin`], { env });
  if (current === LAB_CONTEXT) await run('kubectl', ['config', 'unset', 'current-context'], { env });
}
