import { KObject, ResourceInfo } from '@skiff/api';
import type { DeleteOptions, PatchType, Registry } from '@skiff/apiserver';

/**
 * The writes a controller makes. Production goes through the Registry (the same defaulting,
 * validation and admission as user requests); tests record the actions.
 */
export interface ApiClient {
  create(info: ResourceInfo, namespace: string | undefined, obj: KObject): Promise<KObject>;
  /** PUT with the object's resourceVersion (409 when stale). */
  update(info: ResourceInfo, obj: KObject): Promise<KObject>;
  updateStatus(info: ResourceInfo, obj: KObject): Promise<KObject>;
  patch(info: ResourceInfo, namespace: string | undefined, name: string, type: PatchType, body: unknown): Promise<KObject>;
  delete(info: ResourceInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
  /** The pods/binding write. */
  bind(namespace: string, name: string, node: string): Promise<void>;
}

export const FIELD_MANAGER = 'skiff-controller-manager';

export class RegistryClient implements ApiClient {
  constructor(
    private readonly registry: Registry,
    private readonly binder: (registry: Registry, ns: string, name: string, node: string) => Promise<unknown>,
    private readonly fieldManager = FIELD_MANAGER,
  ) {}

  create(info: ResourceInfo, namespace: string | undefined, obj: KObject): Promise<KObject> {
    return this.registry.create(info, namespace, obj, { fieldManager: this.fieldManager });
  }

  async update(info: ResourceInfo, obj: KObject): Promise<KObject> {
    return (await this.registry.update(info, obj.metadata.namespace, obj.metadata.name!, obj, { fieldManager: this.fieldManager })).object;
  }

  async updateStatus(info: ResourceInfo, obj: KObject): Promise<KObject> {
    return (await this.registry.update(info, obj.metadata.namespace, obj.metadata.name!, obj, { fieldManager: this.fieldManager, subresource: 'status' })).object;
  }

  async patch(info: ResourceInfo, namespace: string | undefined, name: string, type: PatchType, body: unknown): Promise<KObject> {
    return (await this.registry.patch(info, namespace, name, type, body, { fieldManager: this.fieldManager })).object;
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    await this.registry.delete(info, namespace, name, opts);
  }

  async bind(namespace: string, name: string, node: string): Promise<void> {
    await this.binder(this.registry, namespace, name, node);
  }
}

export interface Action {
  verb: 'create' | 'update' | 'update-status' | 'patch' | 'delete' | 'bind';
  resource: string;
  namespace?: string;
  name: string;
  object?: KObject;
  patchType?: PatchType;
  patch?: unknown;
  options?: DeleteOptions;
  node?: string;
}

let fakeSeq = 0;

/** Records every write; returns the written object as a server would (no storage). */
export class FakeClient implements ApiClient {
  readonly actions: Action[] = [];
  /** Makes the next matching write fail, e.g. to test requeues. */
  failOn?: (a: Action) => Error | undefined;

  private record(a: Action): void {
    this.actions.push(a);
    const err = this.failOn?.(a);
    if (err) throw err;
  }

  async create(info: ResourceInfo, namespace: string | undefined, obj: KObject): Promise<KObject> {
    const out = structuredClone(obj);
    if (!out.metadata.name && out.metadata.generateName) out.metadata.name = `${out.metadata.generateName}${(++fakeSeq).toString(36).padStart(5, 'x')}`;
    out.metadata.namespace = namespace;
    out.metadata.uid ??= `uid-${out.metadata.name}`;
    this.record({ verb: 'create', resource: info.plural, namespace, name: out.metadata.name ?? '', object: out });
    return out;
  }

  async update(info: ResourceInfo, obj: KObject): Promise<KObject> {
    this.record({ verb: 'update', resource: info.plural, namespace: obj.metadata.namespace, name: obj.metadata.name ?? '', object: structuredClone(obj) });
    return obj;
  }

  async updateStatus(info: ResourceInfo, obj: KObject): Promise<KObject> {
    this.record({ verb: 'update-status', resource: info.plural, namespace: obj.metadata.namespace, name: obj.metadata.name ?? '', object: structuredClone(obj) });
    return obj;
  }

  async patch(info: ResourceInfo, namespace: string | undefined, name: string, type: PatchType, body: unknown): Promise<KObject> {
    this.record({ verb: 'patch', resource: info.plural, namespace, name, patchType: type, patch: body });
    return { metadata: { name, namespace } };
  }

  async delete(info: ResourceInfo, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void> {
    this.record({ verb: 'delete', resource: info.plural, namespace, name, options: opts });
  }

  async bind(namespace: string, name: string, node: string): Promise<void> {
    this.record({ verb: 'bind', resource: 'pods', namespace, name, node });
  }

  /** `verb resource ns/name` lines: compact for assertions. */
  summary(): string[] {
    return this.actions.map((a) => `${a.verb} ${a.resource} ${a.namespace ? `${a.namespace}/` : ''}${a.name}${a.node ? ` -> ${a.node}` : ''}`);
  }
}
