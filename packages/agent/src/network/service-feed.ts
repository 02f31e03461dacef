import type { Endpoints, Service } from 'kubernetes-types/core/v1';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1';
import type { Assignment } from '@skiff/rpc';

/** What the proxy and DNS both implement (Proxier and ClusterRecords do). */
export interface ServiceListener {
  updateService(s: Service): void;
  deleteService(s: Service): void;
  updateEndpointSlice(s: EndpointSlice): void;
  deleteEndpointSlice(s: EndpointSlice): void;
  updateEndpoints(e: Endpoints): void;
  deleteEndpoints(e: Endpoints): void;
}

type Kind = 'service' | 'endpoints' | 'endpointslice';
interface Meta { metadata?: { namespace?: string; name?: string } }

function id(kind: Kind, o: Meta): string {
  return `${kind}/${o.metadata?.namespace || 'default'}/${o.metadata?.name ?? ''}`;
}

/**
 * Turns the assignment stream's Service/Endpoints/EndpointSlice messages into
 * listener calls. After a reconnect the gateway resends everything before SYNC;
 * at SYNC whatever was not resent is deleted, so the listeners converge on the
 * new full state. `onSynced` runs after every SYNC (the proxier starts syncing
 * only after the first, so it never programs a half state).
 */
export class ServiceFeed {
  private readonly known = new Map<string, { kind: Kind; obj: Meta }>();
  private seen?: Set<string>;

  constructor(private readonly listeners: ServiceListener[], private readonly onSynced: () => void = () => undefined) {}

  /** A new stream opened: the next SYNC ends a full state. */
  beginFullState(): void {
    this.seen = new Set();
  }

  /** Consumes service/endpoints/endpointslice messages (true), or leaves the message to the caller (false). SYNC is observed and left to the caller too. */
  handle(a: Assignment): boolean {
    if (a.type === 'SYNC') {
      this.endFullState();
      return false;
    }
    const [kind, buf] = a.service_json ? ['service', a.service_json] as const
      : a.endpoints_json ? ['endpoints', a.endpoints_json] as const
        : a.endpointslice_json ? ['endpointslice', a.endpointslice_json] as const : [undefined, undefined];
    if (!kind || !buf) return false;
    const obj = JSON.parse(buf.toString('utf8')) as Meta;
    const k = id(kind, obj);
    if (a.type === 'DELETED') {
      this.known.delete(k);
      this.dispatch(kind, obj, true);
    } else {
      this.known.set(k, { kind, obj });
      this.seen?.add(k);
      this.dispatch(kind, obj, false);
    }
    return true;
  }

  private endFullState(): void {
    if (this.seen) {
      for (const [k, { kind, obj }] of [...this.known]) {
        if (this.seen.has(k)) continue;
        this.known.delete(k);
        this.dispatch(kind, obj, true);
      }
      this.seen = undefined;
    }
    this.onSynced();
  }

  private dispatch(kind: Kind, obj: Meta, deleted: boolean): void {
    for (const l of this.listeners) {
      if (kind === 'service') deleted ? l.deleteService(obj as Service) : l.updateService(obj as Service);
      else if (kind === 'endpoints') deleted ? l.deleteEndpoints(obj as Endpoints) : l.updateEndpoints(obj as Endpoints);
      else deleted ? l.deleteEndpointSlice(obj as EndpointSlice) : l.updateEndpointSlice(obj as EndpointSlice);
    }
  }
}
