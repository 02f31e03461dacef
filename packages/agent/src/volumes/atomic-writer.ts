import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export interface FileProjection {
  data: Buffer;
  mode: number;
}

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

/** Rejects absolute paths, `..` elements and names starting with `..` (reserved for the writer). */
export function validatePayloadPath(p: string): void {
  if (p === '' || path.isAbsolute(p)) throw new Error(`invalid path ${JSON.stringify(p)}: must be relative`);
  for (const el of p.split('/')) {
    if (el === '..' ) throw new Error(`invalid path ${JSON.stringify(p)}: must not contain '..'`);
  }
  if (p.startsWith('..')) throw new Error(`invalid path ${JSON.stringify(p)}: must not start with '..'`);
}

/**
 * The kubelet's AtomicWriter: the payload lives in a timestamped directory,
 * `..data` points at it, and each top-level name is a symlink through
 * `..data`. An update writes a new directory and swaps `..data` with one
 * rename, so readers inside containers see the old or the new set, never a mix.
 * Returns whether anything changed.
 */
export async function writeAtomic(dir: string, payload: ReadonlyMap<string, FileProjection>): Promise<boolean> {
  for (const p of payload.keys()) validatePayloadPath(p);
  await fs.mkdir(dir, { recursive: true });
  const dataLink = path.join(dir, DATA_DIR);
  let oldTsName: string | undefined;
  try { oldTsName = await fs.readlink(dataLink); } catch { oldTsName = undefined; }

  if (oldTsName && (await sameContent(path.join(dir, oldTsName), payload))) {
    await ensureUserLinks(dir, payload);
    return false;
  }

  const stamp = new Date().toISOString().replace(/[-:]/g, '_').replace('T', '_').replace('Z', '');
  const tsDir = await fs.mkdtemp(path.join(dir, `..${stamp}.`));
  await fs.chmod(tsDir, 0o755);
  for (const [p, f] of payload) {
    const file = path.join(tsDir, p);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o755 });
    await fs.writeFile(file, f.data);
    await fs.chmod(file, f.mode);
  }
  const tmpLink = path.join(dir, DATA_TMP);
  await fs.rm(tmpLink, { force: true });
  await fs.symlink(path.basename(tsDir), tmpLink);
  await fs.rename(tmpLink, dataLink);
  await ensureUserLinks(dir, payload);
  if (oldTsName && oldTsName !== path.basename(tsDir)) await fs.rm(path.join(dir, oldTsName), { recursive: true, force: true });
  return true;
}

function topLevel(payload: ReadonlyMap<string, FileProjection>): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]!));
}

async function ensureUserLinks(dir: string, payload: ReadonlyMap<string, FileProjection>): Promise<void> {
  const want = topLevel(payload);
  for (const name of want) {
    const link = path.join(dir, name);
    const target = path.join(DATA_DIR, name);
    let current: string | undefined;
    try { current = await fs.readlink(link); } catch { current = undefined; }
    if (current === target) continue;
    await fs.rm(link, { force: true, recursive: true });
    await fs.symlink(target, link);
  }
  for (const entry of await fs.readdir(dir)) {
    if (entry.startsWith('..') || want.has(entry)) continue;
    const full = path.join(dir, entry);
    const st = await fs.lstat(full);
    // Only the links we made go; anything else in the directory is not ours.
    if (st.isSymbolicLink() && (await fs.readlink(full)).startsWith(`${DATA_DIR}/`)) await fs.rm(full, { force: true });
  }
}

async function sameContent(tsDir: string, payload: ReadonlyMap<string, FileProjection>): Promise<boolean> {
  const existing = await listFiles(tsDir).catch(() => undefined);
  if (!existing || existing.length !== payload.size) return false;
  for (const rel of existing) {
    const want = payload.get(rel);
    if (!want) return false;
    const full = path.join(tsDir, rel);
    const [data, st] = await Promise.all([fs.readFile(full), fs.stat(full)]);
    if (!data.equals(want.data) || (st.mode & 0o7777) !== want.mode) return false;
  }
  return true;
}

async function listFiles(root: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(path.join(root, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, rel)));
    else out.push(rel);
  }
  return out;
}
