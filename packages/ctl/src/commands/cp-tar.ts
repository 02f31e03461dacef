/** Just enough tar (ustar, plus GNU long names and pax `path` on reading) for `skiffctl cp`. */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TarEntry { name: string; type: 'file' | 'dir' | 'symlink' | 'other'; mode: number; data: Buffer; linkname: string }

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, '0') + '\0';
}

function header(name: string, mode: number, size: number, type: string, mtime: number): Buffer[] {
  const out: Buffer[] = [];
  let prefix = '';
  let short = name;
  if (Buffer.byteLength(name) > 100) {
    // GNU long name: a `L` entry carrying the name
    const nameBuf = Buffer.from(`${name}\0`);
    out.push(...header('././@LongLink', 0, nameBuf.length, 'L', 0), pad(nameBuf));
    short = name.slice(0, 100);
    prefix = '';
  }
  const h = Buffer.alloc(512);
  h.write(short, 0, 100);
  h.write(octal(mode & 0o7777, 8), 100);
  h.write(octal(0, 8), 108);
  h.write(octal(0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(Math.floor(mtime), 12), 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  out.unshift(...[]);
  out.push(h);
  return out;
}

function pad(data: Buffer): Buffer {
  const rest = data.length % 512;
  return rest === 0 ? data : Buffer.concat([data, Buffer.alloc(512 - rest)]);
}

/** A tar of `src` (file or directory, recursively) whose entries are named under `destName`. */
export function makeTar(src: string, destName: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (path: string, name: string): void => {
    const st = lstatSync(path);
    if (st.isDirectory()) {
      const children = readdirSync(path).sort();
      if (children.length === 0 || name !== '') parts.push(...header(`${name}/`, st.mode, 0, '5', st.mtimeMs / 1000));
      for (const c of children) walk(join(path, c), name ? `${name}/${c}` : c);
    } else if (st.isSymbolicLink()) {
      // kubectl's makeTar skips symlinks' targets too; keep the link itself out
    } else if (st.isFile()) {
      const data = readFileSync(path);
      parts.push(...header(name, st.mode, data.length, '0', st.mtimeMs / 1000), pad(data));
    }
  };
  walk(src, destName);
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function cstr(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z < 0 ? s : s.subarray(0, z)).toString('utf8');
}

export function readTar(buf: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  let off = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (off + 512 <= buf.length) {
    const h = buf.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(cstr(h, 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(h[156] ?? 0);
    const data = buf.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') { longName = cstr(data, 0, data.length); continue; }
    if (type === 'x') {
      for (const m of data.toString('utf8').matchAll(/\d+ path=([^\n]*)\n/g)) paxPath = m[1];
      continue;
    }
    if (type === 'g') continue;
    const prefix = cstr(h, 345, 155);
    let name = cstr(h, 0, 100);
    if (prefix && cstr(h, 257, 6) === 'ustar') name = `${prefix}/${name}`;
    name = paxPath ?? longName ?? name;
    paxPath = undefined;
    longName = undefined;
    out.push({
      name, mode: parseInt(cstr(h, 100, 8).trim() || '0', 8),
      type: type === '5' ? 'dir' : type === '2' ? 'symlink' : type === '0' || type === '\0' || type === '7' ? 'file' : 'other',
      data: Buffer.from(data), linkname: cstr(h, 157, 100),
    });
  }
  return out;
}
