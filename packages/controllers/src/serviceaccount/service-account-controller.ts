import { findByKind, isStatusError, KObject } from '@skiff/api';
import type { Logger } from '@skiff/logging';
import type { ApiClient } from '../informer/api-client';
import type { Informer } from '../informer/informer';
import type { ObjectCache } from '../informer/object-cache';
import { WorkQueue } from '../informer/work-queue';

const SERVICE_ACCOUNT = findByKind('v1', 'ServiceAccount')!;

/** Ensures every active namespace has the `default` ServiceAccount (recreated if deleted). Keys are namespace names. */
export class ServiceAccountController {
  readonly queue: WorkQueue;

  constructor(private readonly d: { namespaces: ObjectCache; serviceAccounts: ObjectCache; client: ApiClient; log: Logger; queue?: WorkQueue }) {
    this.queue = d.queue ?? new WorkQueue();
  }

  register(namespaces: Informer, serviceAccounts: Informer): void {
    namespaces.addHandler({ add: (ns) => this.queue.add(ns.metadata.name!), update: (_o, ns) => this.queue.add(ns.metadata.name!) });
    serviceAccounts.addHandler({ delete: (sa) => { if (sa.metadata.name === 'default') this.queue.add(sa.metadata.namespace!); } });
  }

  async reconcile(namespace: string): Promise<void> {
    const ns = this.d.namespaces.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating') return;
    if (this.d.serviceAccounts.getByName(namespace, 'default')) return;
    try {
      await this.d.client.create(SERVICE_ACCOUNT, namespace, { metadata: { name: 'default', namespace } } as KObject);
    } catch (e) {
      if (isStatusError(e) && (e.reason === 'AlreadyExists' || e.code === 403 || e.code === 404)) return;
      throw e;
    }
  }
}
