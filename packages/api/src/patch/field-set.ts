/**
 * Sets of field paths, as server-side apply tracks ownership, and their `FieldsV1`
 * encoding in `metadata.managedFields`.
 *
 * A path is a list of path elements written as in FieldsV1:
 * - `f:<name>`   a field of an object (or key of a map),
 * - `k:<json>`   an item of a list of type map, by its key fields (`k:{"name":"c"}`),
 * - `v:<json>`   an item of a list of type set, by value (`v:"x"`),
 * - `i:<index>`  an item of a list by position.
 * In FieldsV1 a node `{}` is a member of the set; `".": {}` marks a node that is a member
 * and also has children.
 */

/** The JSON trie stored in `managedFields[].fieldsV1`. */
export interface FieldsV1 {
  [pathElement: string]: FieldsV1;
}

export type FieldPath = readonly string[];

export class FieldSet {
  /** Path elements that are members of the set at this level. */
  readonly members = new Set<string>();
  /** Sub-sets under a path element (the element itself is not a member unless listed in `members`). */
  readonly children = new Map<string, FieldSet>();

  static fromPaths(paths: Iterable<FieldPath>): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  /** Decodes FieldsV1. Throws an Error on malformed input. */
  static fromFieldsV1(fields: unknown): FieldSet {
    const s = new FieldSet();
    decodeInto(s, fields);
    return s;
  }

  toFieldsV1(): FieldsV1 {
    const out: FieldsV1 = {};
    const elements = new Set<string>([...this.members, ...this.children.keys()]);
    for (const pe of [...elements].sort(comparePathElements)) {
      const child = this.children.get(pe);
      if (child && !child.isEmpty()) {
        const inner: FieldsV1 = {};
        if (this.members.has(pe)) inner['.'] = {};
        Object.assign(inner, child.toFieldsV1());
        defineKey(out, pe, inner);
      } else if (this.members.has(pe)) {
        defineKey(out, pe, {});
      }
    }
    return out;
  }

  isEmpty(): boolean {
    if (this.members.size > 0) return false;
    for (const c of this.children.values()) if (!c.isEmpty()) return false;
    return true;
  }

  insert(path: FieldPath): void {
    if (path.length === 0) return;
    let node: FieldSet = this;
    for (let i = 0; i < path.length - 1; i++) node = node.childOrCreate(path[i] as string);
    node.members.add(path[path.length - 1] as string);
  }

  has(path: FieldPath): boolean {
    if (path.length === 0) return false;
    let node: FieldSet | undefined = this;
    for (let i = 0; i < path.length - 1 && node; i++) node = node.children.get(path[i] as string);
    return !!node && node.members.has(path[path.length - 1] as string);
  }

  /** The sub-set under one path element (SMD's WithPrefix). */
  child(pe: string): FieldSet | undefined {
    return this.children.get(pe);
  }

  private childOrCreate(pe: string): FieldSet {
    let c = this.children.get(pe);
    if (!c) {
      c = new FieldSet();
      this.children.set(pe, c);
    }
    return c;
  }

  clone(): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) s.members.add(m);
    for (const [pe, c] of this.children) s.children.set(pe, c.clone());
    return s;
  }

  union(other: FieldSet): FieldSet {
    const s = this.clone();
    for (const m of other.members) s.members.add(m);
    for (const [pe, c] of other.children) {
      const mine = s.children.get(pe);
      s.children.set(pe, mine ? mine.union(c) : c.clone());
    }
    return s;
  }

  intersection(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (other.members.has(m)) s.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      if (!o) continue;
      const i = c.intersection(o);
      if (!i.isEmpty()) s.children.set(pe, i);
    }
    return s;
  }

  /** Members of this set that are not members of `other` (children compared level by level). */
  difference(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) s.members.add(m);
    for (const [pe, c] of this.children) {
      const o = other.children.get(pe);
      const d = o ? c.difference(o) : c.clone();
      if (!d.isEmpty()) s.children.set(pe, d);
    }
    return s;
  }

  /** Like `difference`, but also drops everything below a member of `other`. */
  recursiveDifference(other: FieldSet): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) if (!other.members.has(m)) s.members.add(m);
    for (const [pe, c] of this.children) {
      if (other.members.has(pe)) continue;
      const o = other.children.get(pe);
      const d = o ? c.recursiveDifference(o) : c.clone();
      if (!d.isEmpty()) s.children.set(pe, d);
    }
    return s;
  }

  /** Makes every field (`f:`) that has children a member too, so that removing it removes the field. */
  ensureNamedFieldsAreMembers(): FieldSet {
    const s = new FieldSet();
    for (const m of this.members) s.members.add(m);
    for (const [pe, c] of this.children) {
      const e = c.ensureNamedFieldsAreMembers();
      if (e.isEmpty()) continue;
      s.children.set(pe, e);
      if (pe.startsWith('f:')) s.members.add(pe);
    }
    return s;
  }

  equals(other: FieldSet): boolean {
    return this.difference(other).isEmpty() && other.difference(this).isEmpty();
  }

  /** Every member path: members of a level first, then the levels below, each in sorted order. */
  paths(): string[][] {
    const out: string[][] = [];
    const walk = (node: FieldSet, prefix: string[]): void => {
      for (const m of [...node.members].sort(comparePathElements)) out.push([...prefix, m]);
      for (const pe of [...node.children.keys()].sort(comparePathElements)) walk(node.children.get(pe) as FieldSet, [...prefix, pe]);
    };
    walk(this, []);
    return out;
  }

  size(): number {
    return this.paths().length;
  }
}

function defineKey(o: FieldsV1, key: string, value: FieldsV1): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function decodeInto(s: FieldSet, fields: unknown): void {
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
    throw new Error(`invalid FieldsV1: expected an object, got ${JSON.stringify(fields)}`);
  }
  for (const [pe, v] of Object.entries(fields as Record<string, unknown>)) {
    if (pe === '.') continue;
    if (!/^[fkvi]:/.test(pe)) throw new Error(`invalid FieldsV1 path element ${JSON.stringify(pe)}`);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`invalid FieldsV1 at ${pe}: expected an object`);
    const keys = Object.keys(v);
    if (keys.length === 0 || keys.includes('.')) s.members.add(pe);
    if (keys.some((k) => k !== '.')) {
      const child = new FieldSet();
      decodeInto(child, v);
      if (!child.isEmpty()) s.children.set(pe, child);
    }
  }
}

const RANK: Record<string, number> = { f: 0, k: 1, v: 2, i: 3 };

/** Order of path elements in FieldsV1 and in conflict lists: fields, keys, values, indexes. */
export function comparePathElements(a: string, b: string): number {
  const ra = RANK[a[0] ?? ''] ?? 4;
  const rb = RANK[b[0] ?? ''] ?? 4;
  if (ra !== rb) return ra - rb;
  if (a[0] === 'i' && b[0] === 'i') return Number(a.slice(2)) - Number(b.slice(2));
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `f:` path element for a field name. */
export function fieldElement(name: string): string {
  return `f:${name}`;
}

/** `k:` path element for a list-map item: key fields in name order, JSON encoded. */
export function keyElement(keys: Record<string, unknown>): string {
  const sorted: Record<string, unknown> = {};
  for (const k of Object.keys(keys).sort()) {
    Object.defineProperty(sorted, k, { value: keys[k], enumerable: true, writable: true, configurable: true });
  }
  return `k:${JSON.stringify(sorted)}`;
}

/** `v:` path element for a set item. */
export function valueElement(v: unknown): string {
  return `v:${JSON.stringify(v)}`;
}

export function indexElement(i: number): string {
  return `i:${i}`;
}

function valueToString(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** One path element as Kubernetes prints it in conflicts: `.name`, `[name="c"]`, `[="x"]`, `[0]`. */
export function pathElementToString(pe: string): string {
  const body = pe.slice(2);
  switch (pe[0]) {
    case 'f':
      return `.${body}`;
    case 'k': {
      try {
        const keys = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.keys(keys).map((k) => `${k}=${valueToString(keys[k])}`).join(',')}]`;
      } catch {
        return `[${body}]`;
      }
    }
    case 'v': {
      try {
        return `[=${valueToString(JSON.parse(body))}]`;
      } catch {
        return `[=${body}]`;
      }
    }
    case 'i':
      return `[${body}]`;
    default:
      return pe;
  }
}

/** A path as Kubernetes prints it: `.spec.template.spec.containers[name="c"].image`. */
export function pathToString(path: FieldPath): string {
  return path.map(pathElementToString).join('');
}
