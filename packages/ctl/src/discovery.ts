/**
 * Discovery through the aggregated /api and /apis documents, cached on disk for 6 hours
 * (<cache-dir>/discovery/<host_port>/skiffctl-aggregated.json, next to kubectl's own cache).
 */
import { mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ApiClient, DISCOVERY_ACCEPT } from './client';
import { cliError } from './errors';

export const CACHE_TTL_MS = 6 * 60 * 60 * 1000;

export interface ApiResource {
  group: string;
  version: string;
  resource: string;
  kind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  verbs: string[];
  categories: string[];
}

export interface ApiGroupVersions {
  group: string;
  versions: string[];
}

interface AggregatedResource {
  resource?: string;
  responseKind?: { group?: string; version?: string; kind?: string };
  scope?: string;
  singularResource?: string;
  shortNames?: string[];
  verbs?: string[];
  categories?: string[];
}

interface AggregatedList {
  kind?: string;
  items?: { metadata?: { name?: string }; versions?: { version?: string; resources?: AggregatedResource[] }[] }[];
}

interface CacheFile {
  api: AggregatedList;
  apis: AggregatedList;
}

/** kubectl's directory name for a server: scheme dropped, unsafe characters replaced by '_'. */
export function cacheDirName(server: string): string {
  return server.replace('https://', '').replace('http://', '').replace(/[^(\w/.)]/g, '_');
}

export class Discovery {
  groups: ApiGroupVersions[] = [];
  resources: ApiResource[] = [];
  private loaded = false;
  private fromCache = false;

  get isFromCache(): boolean {
    return this.fromCache;
  }

  constructor(private readonly client: ApiClient, private readonly cacheDir: string | undefined, private readonly now = (): number => Date.now()) {}

  private get cacheFile(): string | undefined {
    if (!this.cacheDir) return undefined;
    return join(this.cacheDir, 'discovery', cacheDirName(this.client.config.server), 'skiffctl-aggregated.json');
  }

  async load(force = false): Promise<void> {
    if (this.loaded && !force) return;
    const file = this.cacheFile;
    if (!force && file) {
      try {
        const st = statSync(file);
        if (this.now() - st.mtimeMs < CACHE_TTL_MS) {
          this.ingest(JSON.parse(readFileSync(file, 'utf8')) as CacheFile);
          this.loaded = true;
          this.fromCache = true;
          return;
        }
      } catch {
        // no usable cache
      }
    }
    const [api, apis] = await Promise.all([
      this.client.get<AggregatedList>('/api', { accept: DISCOVERY_ACCEPT, query: { timeout: '32s' } }),
      this.client.get<AggregatedList>('/apis', { accept: DISCOVERY_ACCEPT, query: { timeout: '32s' } }),
    ]);
    if (api?.kind !== 'APIGroupDiscoveryList' || apis?.kind !== 'APIGroupDiscoveryList') {
      throw cliError('the server does not support aggregated discovery (apidiscovery.k8s.io/v2)');
    }
    const data: CacheFile = { api, apis };
    this.ingest(data);
    this.loaded = true;
    this.fromCache = false;
    if (file) {
      try {
        mkdirSync(join(file, '..'), { recursive: true, mode: 0o750 });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(data), { mode: 0o660 });
        renameSync(tmp, file);
      } catch {
        // a read-only cache is not an error
      }
    }
  }

  private ingest(data: CacheFile): void {
    this.groups = [];
    this.resources = [];
    for (const list of [data.api, data.apis]) {
      for (const g of list.items ?? []) {
        const group = g.metadata?.name ?? '';
        const versions: string[] = [];
        for (const v of g.versions ?? []) {
          const version = v.version ?? '';
          versions.push(version);
          for (const r of v.resources ?? []) {
            if (!r.resource) continue;
            this.resources.push({
              group, version, resource: r.resource, kind: r.responseKind?.kind ?? '',
              singular: r.singularResource ?? '', namespaced: r.scope === 'Namespaced',
              shortNames: r.shortNames ?? [], verbs: r.verbs ?? [], categories: r.categories ?? [],
            });
          }
        }
        this.groups.push({ group, versions });
      }
    }
  }

  /** Resources of each group's preferred version, plus those only other versions serve. */
  preferredResources(): ApiResource[] {
    const out: ApiResource[] = [];
    for (const g of this.groups) {
      const seen = new Set<string>();
      for (const v of g.versions) {
        for (const r of this.resources) {
          if (r.group !== g.group || r.version !== v || seen.has(r.resource)) continue;
          seen.add(r.resource);
          out.push(r);
        }
      }
    }
    return out;
  }

  /** "group/version" strings, sorted like `kubectl api-versions`. */
  apiVersions(): string[] {
    const out: string[] = [];
    for (const g of this.groups) for (const v of g.versions) out.push(g.group ? `${g.group}/${v}` : v);
    return out.sort();
  }

  private lookup(arg: string): ApiResource | undefined {
    const lower = arg.toLowerCase();
    const candidates: { res: string; group?: string; version?: string }[] = [];
    if (lower.includes('.')) {
      const parts = lower.split('.');
      if (parts.length >= 3) candidates.push({ res: parts[0] ?? '', version: parts[1], group: parts.slice(2).join('.') });
      candidates.push({ res: parts[0] ?? '', group: parts.slice(1).join('.') });
    } else {
      candidates.push({ res: lower });
    }
    const ordered = this.preferredFirst();
    for (const c of candidates) {
      // short names first (kubectl's shortcut expander)
      const short = ordered.find((r) => r.shortNames.includes(c.res) && (c.group === undefined || r.group === c.group) &&
        (c.version === undefined || r.version === c.version));
      if (short) return short;
      const hit = ordered.find((r) => (c.group === undefined || r.group === c.group) && (c.version === undefined || r.version === c.version) &&
        (r.resource === c.res || r.singular === c.res || r.kind.toLowerCase() === c.res));
      if (hit) return hit;
    }
    return undefined;
  }

  private preferredFirst(): ApiResource[] {
    const pref = this.preferredResources();
    return [...pref, ...this.resources.filter((r) => !pref.includes(r))];
  }

  /** Resolves `po`, `pods`, `Pod`, `deploy`, `deployments.apps`, `deployments.v1.apps`. */
  async resolve(arg: string): Promise<ApiResource> {
    await this.load();
    let r = this.lookup(arg);
    if (!r && this.fromCache) {
      await this.load(true);
      r = this.lookup(arg);
    }
    // kubectl names only the resource part (`pods` for `pods.v1`)
    if (!r) throw cliError(`the server doesn't have a resource type "${arg.split('.')[0] ?? arg}"`);
    return r;
  }
}

/** The resource serving apiVersion+kind (refetching discovery once if unknown). */
export async function resourceForKind(d: Discovery, apiVersion: string, kind: string): Promise<ApiResource | undefined> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) as [string, string] : ['', apiVersion];
  await d.load();
  const find = (): ApiResource | undefined => d.resources.find((r) => r.group === group && r.version === version && r.kind === kind && !r.resource.includes('/'));
  let r = find();
  if (!r && d.isFromCache) {
    await d.load(true);
    r = find();
  }
  return r;
}

/** URL path of a collection or object. */
export function resourcePath(r: ApiResource, namespace: string | undefined, name?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  const ns = r.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `${base}${ns}/${r.resource}${name !== undefined ? `/${encodeURIComponent(name)}` : ''}`;
}

/** `pod`, `deployment.apps`: how kubectl names a kind in `-o name` and messages. */
export function kindName(r: ApiResource): string {
  return r.group ? `${r.kind.toLowerCase()}.${r.group}` : r.kind.toLowerCase();
}
