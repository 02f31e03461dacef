import type { Pod, PodAffinityTerm } from 'kubernetes-types/core/v1';
import { labelSelectorAsMatcher, LabelMatcher } from '@skiff/api';
import { podRequests, ResourceList } from './resources';
import type { Snapshot } from './snapshot';

interface CompiledTerm {
  topologyKey: string;
  namespaces: string[] | 'all';
  matcher: LabelMatcher;
}

function compile(term: PodAffinityTerm, ownerNs: string): CompiledTerm {
  let matcher: LabelMatcher;
  try {
    matcher = labelSelectorAsMatcher(term.labelSelector);
  } catch {
    matcher = LabelMatcher.nothing();
  }
  const all = term.namespaceSelector && Object.keys(term.namespaceSelector).length === 0;
  return { topologyKey: term.topologyKey, matcher, namespaces: all ? 'all' : term.namespaces?.length ? term.namespaces : [ownerNs] };
}

export function podTermMatches(t: CompiledTerm, pod: Pod): boolean {
  if (t.namespaces !== 'all' && !t.namespaces.includes(pod.metadata?.namespace ?? '')) return false;
  return t.matcher.matches(pod.metadata?.labels ?? {});
}

/** Topology domains as key -> values, checked per node in O(number of keys). */
export class DomainSet {
  private readonly byKey = new Map<string, Set<string>>();

  add(key: string, value: string): void {
    let s = this.byKey.get(key);
    if (!s) this.byKey.set(key, (s = new Set()));
    s.add(value);
  }

  contains(labels: Record<string, string>): boolean {
    for (const [k, vs] of this.byKey) {
      const v = labels[k];
      if (v !== undefined && vs.has(v)) return true;
    }
    return false;
  }
}

/**
 * What one scheduling decision computes once for all nodes (Kubernetes' PreFilter/PreScore
 * state): the pod's requests and the topology domains its (anti-)affinity terms and the
 * existing pods' anti-affinity terms select. Computed lazily, then read per node.
 */
export class CycleState {
  private _requests?: ResourceList;
  private _nonZero?: ResourceList;
  private _affinity?: { forbiddenByExisting: DomainSet; antiDomains: DomainSet[]; affinityDomains: DomainSet[]; affinityAnywhere: boolean[]; affinityTerms: CompiledTerm[] };

  constructor(readonly pod: Pod, readonly snapshot: Snapshot) {}

  get requests(): ResourceList {
    return (this._requests ??= podRequests(this.pod));
  }

  get nonZeroRequests(): ResourceList {
    return (this._nonZero ??= podRequests(this.pod, { nonZero: true }));
  }

  get affinity() {
    if (this._affinity) return this._affinity;
    const ns = this.pod.metadata?.namespace ?? '';
    const aff = this.pod.spec?.affinity;
    const anti = (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, ns));
    const affinityTerms = (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, ns));
    const forbiddenByExisting = new DomainSet();
    const antiDomains = anti.map(() => new DomainSet());
    const affinityDomains = affinityTerms.map(() => new DomainSet());
    const affinityAnywhere = affinityTerms.map(() => false);
    for (const n of this.snapshot.nodes) {
      for (const existing of n.podsWithRequiredAntiAffinity) {
        for (const t of existing.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
          const v = n.labels[t.topologyKey];
          if (v !== undefined && podTermMatches(compile(t, existing.metadata?.namespace ?? ''), this.pod)) forbiddenByExisting.add(t.topologyKey, v);
        }
      }
      if (anti.length === 0 && affinityTerms.length === 0) continue;
      for (const existing of n.pods) {
        anti.forEach((t, i) => {
          const v = n.labels[t.topologyKey];
          if (v !== undefined && podTermMatches(t, existing)) antiDomains[i]!.add(t.topologyKey, v);
        });
        affinityTerms.forEach((t, i) => {
          if (!podTermMatches(t, existing)) return;
          affinityAnywhere[i] = true;
          const v = n.labels[t.topologyKey];
          if (v !== undefined) affinityDomains[i]!.add(t.topologyKey, v);
        });
      }
    }
    this._affinity = { forbiddenByExisting, antiDomains, affinityDomains, affinityAnywhere, affinityTerms };
    return this._affinity;
  }

  antiTerms(): CompiledTerm[] {
    const ns = this.pod.metadata?.namespace ?? '';
    return (this.pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => compile(t, ns));
  }
}
