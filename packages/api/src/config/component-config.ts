/**
 * How every Skiff daemon reads its configuration: flags (`--flag value`, `--flag=value`) and
 * an optional YAML file (`--config FILE`) whose keys are the flags in camelCase. The file
 * becomes flags placed before the command line's own, so the command line wins. Pure: the
 * caller reads the file. Errors name the flag, or the file and the key.
 */
import { isIP } from 'node:net';
import { parseDocument } from 'yaml';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const CONFIG_API_VERSION = 'skiff.io/v1alpha1';

/** A key's check: the flag value it stands for, or an error text ("must be ..."). */
export type ConfigCheck = (v: unknown) => string | { error: string };

/** How a value is named in an error: `"abc"`, `a list`, `nothing`... */
export function describeValue(v: unknown): string {
  return v === null || v === undefined ? 'nothing' : typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'a mapping' : String(v);
}

/** A string or finite number as trimmed text; anything else undefined. */
export function scalarValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Parses flags against a table flag -> key; unknown flags and missing values are ConfigErrors. */
export function parseFlagArgs<K extends string>(argv: string[], flags: Readonly<Record<string, K>>): Partial<Record<K, string>> {
  const raw: Partial<Record<K, string>> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const flag = eq >= 0 ? a.slice(0, eq) : a;
    const key = Object.prototype.hasOwnProperty.call(flags, flag) ? flags[flag] : undefined;
    if (!key) throw new ConfigError(`unknown flag: ${flag}`);
    const value = eq >= 0 ? a.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`flag needs a value: ${flag}`);
    raw[key] = value;
  }
  return raw;
}

/** Checks a config file's YAML text against a key table (key -> [flag, check]) and returns the equivalent flags. */
export function configTextToFlags(text: string, source: string, kind: string, keys: Readonly<Record<string, readonly [string, ConfigCheck]>>): string[] {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line;
    throw new ConfigError(`${source}: ${line ? `line ${line}: ` : ''}not valid YAML: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`);
  }
  const data: unknown = doc.toJS();
  if (data === null || data === undefined) return [];
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError(`${source}: must be a YAML mapping of key: value, got ${describeValue(data)}`);
  const flags: string[] = [];
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key === 'apiVersion') {
      if (value !== CONFIG_API_VERSION) throw new ConfigError(`${source}: apiVersion: must be ${CONFIG_API_VERSION}, got ${describeValue(value)}`);
      continue;
    }
    if (key === 'kind') {
      if (value !== kind) throw new ConfigError(`${source}: kind: must be ${kind}, got ${describeValue(value)}`);
      continue;
    }
    const entry = Object.prototype.hasOwnProperty.call(keys, key) ? keys[key] : undefined;
    if (!entry) throw new ConfigError(`${source}: ${key}: unknown key (known keys: ${Object.keys(keys).join(', ')})`);
    const r = entry[1](value);
    if (typeof r !== 'string') throw new ConfigError(`${source}: ${key}: ${r.error}`);
    flags.push(entry[0], r);
  }
  return flags;
}

/**
 * Replaces `--config <file>` / `--config=<file>` in argv by the file's flags (from `read`),
 * placed before the remaining flags. Without --config, argv unchanged.
 */
export function expandConfigFlag(argv: string[], read: (file: string) => string[]): string[] {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config' || a.startsWith('--config=')) {
      if (file !== undefined) throw new ConfigError('--config: given more than once');
      const v = a === '--config' ? argv[++i] : a.slice('--config='.length);
      if (!v) throw new ConfigError('flag needs a value: --config');
      file = v;
    } else {
      rest.push(a);
    }
  }
  return file === undefined ? rest : [...read(file), ...rest];
}

/** Value checks shared by the daemons' config files (each returns the flag value or an error text). */
export const configChecks: Readonly<Record<'absolutePath' | 'port' | 'ip' | 'cidr', ConfigCheck>> = {
  absolutePath: (v) => {
    const s = scalarValue(v);
    if (typeof v !== 'string' || !s || !s.startsWith('/')) return { error: `must be an absolute path, got ${describeValue(v)}` };
    return s;
  },
  port: (v) => {
    const s = scalarValue(v);
    const n = s !== undefined && /^\d+$/.test(s) ? Number(s) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 65535) return { error: `must be a port number, got ${describeValue(v)}` };
    return String(n);
  },
  ip: (v) => {
    const s = scalarValue(v);
    if (typeof v !== 'string' || !s || isIP(s) === 0) return { error: `must be an IP address, got ${describeValue(v)}` };
    return s;
  },
  cidr: (v) => {
    const s = typeof v === 'string' ? v.trim() : '';
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(s);
    if (!m || isIP(m[1]!) !== 4 || Number(m[2]) > 32) return { error: `must be an IPv4 CIDR like 10.96.0.0/12, got ${describeValue(v)}` };
    return s;
  },
};
