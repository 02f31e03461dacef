/**
 * skiffctl describe: ports of kubectl's describers (k8s.io/kubectl/pkg/describe) for pods,
 * deployments, services, nodes and config maps. Output goes through one Go tabwriter
 * (minwidth 0, padding 2) that is flushed before an Events table, as kubectl does.
 */
import { ApiError, formatApiError, isNotFound } from '../client';
import { Ctx } from '../context';
import { ApiResource, resourcePath } from '../discovery';
import { CliError, cliError } from '../errors';
import { tabwrite } from '../printers/tabwriter';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** kubectl's PrefixWriter over a tabwriter. */
class Writer {
  private pending = '';
  private done = '';
  write(level: number, s: string): void {
    this.pending += '  '.repeat(level) + s;
  }
  line(s: string): void {
    this.pending += `${s}\n`;
  }
  flush(): void {
    this.done += tabwrite(this.pending, { minWidth: 0, padding: 2 });
    this.pending = '';
  }
  text(): string {
    this.flush();
    return this.done;
  }
}

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(seconds / 3600);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.floor(hours / 24) % 365;
    return dy === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

export function since(ts: string | undefined): string {
  if (!ts) return '<unknown>';
  return humanDuration(Date.now() - Date.parse(ts));
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** time.RFC1123Z in UTC (kubectl runs with the machine's zone; tests run in UTC). */
export function rfc1123z(ts: string | undefined): string {
  const d = ts ? new Date(ts) : new Date(0);
  const p = (n: number): string => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60000);
  const sign = off >= 0 ? '+' : '-';
  return `${DAYS[local.getUTCDay()]}, ${p(local.getUTCDate())} ${MONTHS[local.getUTCMonth()]} ${local.getUTCFullYear()} ${p(local.getUTCHours())}:${p(local.getUTCMinutes())}:${p(local.getUTCSeconds())} ${sign}${p(Math.floor(Math.abs(off) / 60))}${p(Math.abs(off) % 60)}`;
}

const byteSort = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function labelsMultiline(w: Writer, title: string, labels: Record<string, string> | undefined, initialIndent = '', innerIndent = '\t'): void {
  w.write(0, `${initialIndent}${title}:${innerIndent}`);
  const keys = Object.keys(labels ?? {}).sort(byteSort);
  if (keys.length === 0) { w.line('<none>'); return; }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, `${initialIndent}${innerIndent}`);
    w.write(0, `${k}=${(labels as Record<string, string>)[k]}\n`);
  });
}

function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max)}...` : s;
}

function annotationsMultiline(w: Writer, title: string, ann: Record<string, string> | undefined): void {
  w.write(0, `${title}:\t`);
  const keys = Object.keys(ann ?? {}).filter((k) => k !== LAST_APPLIED).sort(byteSort);
  if (keys.length === 0) { w.line('<none>'); return; }
  keys.forEach((k, i) => {
    if (i !== 0) w.write(0, '\t');
    const value = (ann as Record<string, string>)[k]?.replace(/\n$/, '') ?? '';
    if (value.length + k.length + 2 > 140 || value.includes('\n')) {
      w.write(0, `${k}:\n`);
      for (const s of value.split('\n')) w.write(0, `\t  ${shorten(s, 138)}\n`);
    } else w.write(0, `${k}: ${value}\n`);
  });
}

function tolerationsMultiline(w: Writer, title: string, tols: Any[] | undefined, initialIndent = ''): void {
  w.write(0, `${initialIndent}${title}:\t`);
  if (!tols || tols.length === 0) { w.line('<none>'); return; }
  const sorted = [...tols].sort((a, b) => byteSort(a.key ?? '', b.key ?? ''));
  sorted.forEach((t, i) => {
    if (i !== 0) w.write(0, `${initialIndent}\t`);
    let s = t.key ?? '';
    if (t.value) s += `=${t.value}`;
    if (t.effect) s += `:${t.effect}`;
    if (t.operator === 'Exists' && !t.value) s += t.key || t.effect ? ' op=Exists' : 'op=Exists';
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) s += ` for ${t.tolerationSeconds}s`;
    w.write(0, `${s}\n`);
  });
}

function describeEvents(w: Writer, events: Any[] | undefined): void {
  if (!events || events.length === 0) { w.write(0, 'Events:\t<none>\n'); return; }
  w.flush();
  const ts = (e: Any): number => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? '') || 0;
  const sorted = [...events].sort((a, b) => ts(a) - ts(b));
  w.write(0, 'Events:\n  Type\tReason\tAge\tFrom\tMessage\n');
  w.write(1, '----\t------\t----\t----\t-------\n');
  for (const e of sorted) {
    const first = e.eventTime ? since(e.eventTime) : since(e.firstTimestamp);
    let interval = first;
    if (e.series) interval = `${since(e.series.lastObservedTime)} (x${e.series.count ?? 0} over ${first})`;
    else if ((e.count ?? 0) > 1) interval = `${since(e.lastTimestamp)} (x${e.count} over ${first})`;
    const source = e.source?.component || e.reportingComponent || '';
    w.write(1, `${e.type ?? ''}\t${e.reason ?? ''}\t${interval}\t${source}\t${String(e.message ?? '').trim()}\n`);
  }
}

async function searchEvents(ctx: Ctx, obj: Any, kind?: string, uidOverride?: string): Promise<Any[]> {
  const md = obj.metadata ?? {};
  const parts = [`involvedObject.name=${md.name ?? ''}`, `involvedObject.namespace=${md.namespace ?? ''}`];
  if (kind) parts.push(`involvedObject.kind=${kind}`);
  const uid = uidOverride ?? md.uid;
  if (uid) parts.push(`involvedObject.uid=${uid}`);
  const path = md.namespace ? `/api/v1/namespaces/${encodeURIComponent(md.namespace)}/events` : '/api/v1/events';
  try {
    const list = await ctx.client().get<{ items?: Any[] }>(path, { query: { fieldSelector: parts.join(','), limit: '500' } });
    return list.items ?? [];
  } catch {
    return [];
  }
}

// ---------- containers ----------

function stringOrNone(s: string): string {
  return s === '' ? '<none>' : s;
}

function fieldPathValue(pod: Any, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.*)'\]$/.exec(path);
  if (m) return pod.metadata?.[m[1] as string]?.[m[2] as string] ?? '';
  switch (path) {
    case 'metadata.name': return pod.metadata?.name ?? '';
    case 'metadata.namespace': return pod.metadata?.namespace ?? '';
    case 'metadata.uid': return pod.metadata?.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP': return pod.status?.hostIP ?? '';
    case 'status.podIP': return pod.status?.podIP ?? '';
    default: return '';
  }
}

function quantityString(q: unknown): string {
  return String(q ?? '');
}

const RESOURCE_ORDER = (a: string, b: string): number => byteSort(a, b);

function describeStatus(w: Writer, name: string, st: Any): void {
  if (st?.running) {
    w.write(2, `${name}:\tRunning\n`);
    w.write(3, `Started:\t${rfc1123z(st.running.startedAt)}\n`);
  } else if (st?.waiting) {
    w.write(2, `${name}:\tWaiting\n`);
    if (st.waiting.reason) w.write(3, `Reason:\t${st.waiting.reason}\n`);
  } else if (st?.terminated) {
    const t = st.terminated;
    w.write(2, `${name}:\tTerminated\n`);
    if (t.reason) w.write(3, `Reason:\t${t.reason}\n`);
    if (t.message) w.write(3, `Message:\t${t.message}\n`);
    w.write(3, `Exit Code:\t${t.exitCode ?? 0}\n`);
    if ((t.signal ?? 0) > 0) w.write(3, `Signal:\t${t.signal}\n`);
    w.write(3, `Started:\t${rfc1123z(t.startedAt)}\n`);
    w.write(3, `Finished:\t${rfc1123z(t.finishedAt)}\n`);
  } else w.write(2, `${name}:\tWaiting\n`);
}

function intOrString(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

function describeProbe(p: Any): string {
  const attrs = `delay=${p.initialDelaySeconds ?? 0}s timeout=${p.timeoutSeconds ?? 0}s period=${p.periodSeconds ?? 0}s #success=${p.successThreshold ?? 0} #failure=${p.failureThreshold ?? 0}`;
  if (p.exec) return `exec [${(p.exec.command ?? []).join(' ')}] ${attrs}`;
  if (p.httpGet) {
    const h = p.httpGet;
    const port = intOrString(h.port);
    const host = h.host ?? '';
    const hp = port ? (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`) : host;
    return `http-get ${String(h.scheme ?? '').toLowerCase()}://${hp}${h.path ?? ''} ${attrs}`;
  }
  if (p.tcpSocket) return `tcp-socket ${p.tcpSocket.host ?? ''}:${intOrString(p.tcpSocket.port)} ${attrs}`;
  if (p.grpc) return `grpc <pod>:${p.grpc.port} ${p.grpc.service ?? ''} ${attrs}`;
  return `unknown ${attrs}`;
}

function describeContainers(w: Writer, label: string, containers: Any[] | undefined, statuses: Any[] | undefined, pod: Any | undefined, space: string): void {
  const cs = containers ?? [];
  const byName = new Map<string, Any>((statuses ?? []).map((s: Any) => [s.name, s]));
  w.write(0, `${space}${label}:${cs.length === 0 ? ' <none>' : ''}\n`);
  for (const c of cs) {
    const st = byName.get(c.name);
    w.write(1, `${space ? ' ' : ''}${c.name}:\n`);
    if (st) w.write(2, `Container ID:\t${st.containerID ?? ''}\n`);
    w.write(2, `Image:\t${c.image ?? ''}\n`);
    if (st) w.write(2, `Image ID:\t${st.imageID ?? ''}\n`);
    const ports = (c.ports ?? []).map((p: Any) => `${p.containerPort ?? 0}/${p.protocol ?? ''}`).join(', ');
    if (ports.includes(',')) w.write(2, `Ports:\t${ports}\n`); else w.write(2, `Port:\t${stringOrNone(ports)}\n`);
    const hostPorts = (c.ports ?? []).map((p: Any) => `${p.hostPort ?? 0}/${p.protocol ?? ''}`).join(', ');
    if (hostPorts.includes(',')) w.write(2, `Host Ports:\t${hostPorts}\n`); else w.write(2, `Host Port:\t${stringOrNone(hostPorts)}\n`);
    if (c.restartPolicy) w.write(2, `Restart Policy:\t${c.restartPolicy}\n`);
    if (c.command?.length) {
      w.write(2, 'Command:\n');
      for (const x of c.command) for (const s of String(x).split('\n')) w.write(3, `${s}\n`);
    }
    if (c.args?.length) {
      w.write(2, 'Args:\n');
      for (const x of c.args) for (const s of String(x).split('\n')) w.write(3, `${s}\n`);
    }
    if (st) {
      describeStatus(w, 'State', st.state);
      if (st.lastState?.terminated) describeStatus(w, 'Last State', st.lastState);
      w.write(2, `Ready:\t${st.ready ? 'True' : 'False'}\n`);
      w.write(2, `Restart Count:\t${st.restartCount ?? 0}\n`);
    }
    const lim = c.resources?.limits ?? {};
    const req = c.resources?.requests ?? {};
    if (Object.keys(lim).length) w.write(2, 'Limits:\n');
    for (const k of Object.keys(lim).sort(RESOURCE_ORDER)) w.write(3, `${k}:\t${quantityString(lim[k])}\n`);
    if (Object.keys(req).length) w.write(2, 'Requests:\n');
    for (const k of Object.keys(req).sort(RESOURCE_ORDER)) w.write(3, `${k}:\t${quantityString(req[k])}\n`);
    if (c.livenessProbe) w.write(2, `Liveness:\t${describeProbe(c.livenessProbe)}\n`);
    if (c.readinessProbe) w.write(2, `Readiness:\t${describeProbe(c.readinessProbe)}\n`);
    if (c.startupProbe) w.write(2, `Startup:\t${describeProbe(c.startupProbe)}\n`);
    if (c.envFrom?.length) {
      w.write(2, 'Environment Variables from:\n');
      for (const e of c.envFrom) {
        const from = e.configMapRef ? 'ConfigMap' : e.secretRef ? 'Secret' : '';
        const ref = e.configMapRef ?? e.secretRef ?? {};
        const opt = ref.optional === true;
        if (!e.prefix) w.write(3, `${ref.name ?? ''}\t${from}\tOptional: ${opt}\n`);
        else w.write(3, `${ref.name ?? ''}\t${from} with prefix '${e.prefix}'\tOptional: ${opt}\n`);
      }
    }
    const env = c.env ?? [];
    w.write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}\n`);
    for (const e of env) {
      if (!e.valueFrom) {
        String(e.value ?? '').split('\n').forEach((s, i) => w.write(3, i === 0 ? `${e.name}:\t${s}\n` : `\t${s}\n`));
        continue;
      }
      const vf = e.valueFrom;
      if (vf.fieldRef) w.write(3, `${e.name}:\t${pod ? fieldPathValue(pod, vf.fieldRef.fieldPath) : ''} (${vf.fieldRef.apiVersion ?? ''}:${vf.fieldRef.fieldPath})\n`);
      else if (vf.resourceFieldRef) {
        const r = vf.resourceFieldRef.resource as string;
        const [kind, name] = r.split('.') as [string, string];
        const raw = kind === 'limits' ? lim[name] : kind === 'requests' ? req[name] : undefined;
        const div = parseQuantity(vf.resourceFieldRef.divisor ?? '1') || 1;
        let v = raw === undefined ? '0' : String(Math.ceil(parseQuantity(raw) / div - 1e-9));
        if (v === '0' && (r === 'limits.cpu' || r === 'limits.memory')) v = 'node allocatable';
        w.write(3, `${e.name}:\t${v} (${r})\n`);
      } else if (vf.secretKeyRef) w.write(3, `${e.name}:\t<set to the key '${vf.secretKeyRef.key}' in secret '${vf.secretKeyRef.name}'>\tOptional: ${vf.secretKeyRef.optional === true}\n`);
      else if (vf.configMapKeyRef) w.write(3, `${e.name}:\t<set to the key '${vf.configMapKeyRef.key}' of config map '${vf.configMapKeyRef.name}'>\tOptional: ${vf.configMapKeyRef.optional === true}\n`);
    }
    const mounts = [...(c.volumeMounts ?? [])].sort((a: Any, b: Any) => byteSort(a.mountPath ?? '', b.mountPath ?? ''));
    w.write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}\n`);
    for (const m of mounts) {
      const flags = [m.readOnly ? 'ro' : 'rw'];
      if (m.subPath) flags.push(`path=${JSON.stringify(m.subPath)}`);
      w.write(3, `${m.mountPath} from ${m.name} (${flags.join(',')})\n`);
    }
  }
}

function describeVolumes(w: Writer, volumes: Any[] | undefined, space: string): void {
  if (!volumes || volumes.length === 0) { w.write(0, `${space}Volumes:\t<none>\n`); return; }
  w.write(0, `${space}Volumes:\n`);
  for (const v of volumes) {
    w.write(1, `${space ? ' ' : ''}${v.name}:\n`);
    if (v.hostPath) {
      w.write(2, `Type:\tHostPath (bare host directory volume)\n    Path:\t${v.hostPath.path ?? ''}\n    HostPathType:\t${v.hostPath.type ?? '<none>'}\n`);
    } else if (v.emptyDir) {
      const sl = v.emptyDir.sizeLimit && v.emptyDir.sizeLimit !== '0' ? String(v.emptyDir.sizeLimit) : '<unset>';
      w.write(2, `Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t${v.emptyDir.medium ?? ''}\n    SizeLimit:\t${sl}\n`);
    } else if (v.secret) {
      w.write(2, `Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t${v.secret.secretName ?? ''}\n    Optional:\t${v.secret.optional === true}\n`);
    } else if (v.configMap) {
      w.write(2, `Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t${v.configMap.name ?? ''}\n    Optional:\t${v.configMap.optional === true}\n`);
    } else if (v.persistentVolumeClaim) {
      w.write(2, `Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t${v.persistentVolumeClaim.claimName ?? ''}\n    ReadOnly:\t${v.persistentVolumeClaim.readOnly === true}\n`);
    } else w.write(1, '<unknown>\n');
  }
}

// ---------- quantities (for QoS and node totals) ----------

const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

export function parseQuantity(q: unknown): number {
  const m = /^([+-]?[0-9.]+)(e[+-]?\d+|E[+-]?\d+)?([a-zA-Z]*)$/.exec(String(q ?? '0'));
  if (!m) return 0;
  const base = Number(m[1]) * (m[2] ? 10 ** Number(m[2].slice(1)) : 1);
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}

function podQos(pod: Any): string {
  if (pod.status?.qosClass) return pod.status.qosClass;
  const requests: Record<string, number> = {};
  const limits: Record<string, number> = {};
  let guaranteed = true;
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const [k, v] of Object.entries(c.resources?.requests ?? {})) {
      if (k !== 'cpu' && k !== 'memory') continue;
      const n = parseQuantity(v);
      if (n !== 0) requests[k] = (requests[k] ?? 0) + n;
    }
    const have = new Set<string>();
    for (const [k, v] of Object.entries(c.resources?.limits ?? {})) {
      if (k !== 'cpu' && k !== 'memory') continue;
      const n = parseQuantity(v);
      if (n !== 0) { have.add(k); limits[k] = (limits[k] ?? 0) + n; }
    }
    if (!have.has('cpu') || !have.has('memory')) guaranteed = false;
  }
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [k, v] of Object.entries(requests)) if (limits[k] !== v) { guaranteed = false; break; }
  }
  return guaranteed && Object.keys(requests).length === Object.keys(limits).length ? 'Guaranteed' : 'Burstable';
}

function controller(obj: Any): string {
  const o = (obj.metadata?.ownerReferences ?? []).find((r: Any) => r.controller);
  return o ? `${o.kind}/${o.name}` : '';
}

// ---------- describers ----------

function describePod(pod: Any, events: Any[] | undefined): string {
  const w = new Writer();
  const md = pod.metadata ?? {};
  const spec = pod.spec ?? {};
  const st = pod.status ?? {};
  w.write(0, `Name:\t${md.name}\n`);
  w.write(0, `Namespace:\t${md.namespace}\n`);
  if (spec.priority !== undefined && spec.priority !== null) w.write(0, `Priority:\t${spec.priority}\n`);
  if (spec.priorityClassName) w.write(0, `Priority Class Name:\t${spec.priorityClassName}\n`);
  if (spec.runtimeClassName) w.write(0, `Runtime Class Name:\t${spec.runtimeClassName}\n`);
  if (spec.serviceAccountName) w.write(0, `Service Account:\t${spec.serviceAccountName}\n`);
  w.write(0, spec.nodeName ? `Node:\t${spec.nodeName}/${st.hostIP ?? ''}\n` : 'Node:\t<none>\n');
  if (st.startTime) w.write(0, `Start Time:\t${rfc1123z(st.startTime)}\n`);
  labelsMultiline(w, 'Labels', md.labels);
  annotationsMultiline(w, 'Annotations', md.annotations);
  if (md.deletionTimestamp && st.phase !== 'Failed' && st.phase !== 'Succeeded') {
    w.write(0, `Status:\tTerminating (lasts ${since(md.deletionTimestamp)})\n`);
    w.write(0, `Termination Grace Period:\t${md.deletionGracePeriodSeconds ?? 0}s\n`);
  } else w.write(0, `Status:\t${st.phase ?? ''}\n`);
  if (st.reason) w.write(0, `Reason:\t${st.reason}\n`);
  if (st.message) w.write(0, `Message:\t${st.message}\n`);
  if (spec.securityContext?.seccompProfile) {
    w.write(0, `SeccompProfile:\t${spec.securityContext.seccompProfile.type}\n`);
    if (spec.securityContext.seccompProfile.type === 'Localhost') w.write(0, `LocalhostProfile:\t${spec.securityContext.seccompProfile.localhostProfile ?? ''}\n`);
  }
  w.write(0, `IP:\t${st.podIP ?? ''}\n`);
  if (!st.podIPs?.length) w.write(0, 'IPs:\t<none>\n');
  else {
    w.write(0, 'IPs:\n');
    for (const ip of st.podIPs) w.write(1, `IP:\t${ip.ip}\n`);
  }
  const ctl = controller(pod);
  if (ctl) w.write(0, `Controlled By:\t${ctl}\n`);
  if (st.nominatedNodeName) w.write(0, `NominatedNodeName:\t${st.nominatedNodeName}\n`);
  if (spec.initContainers?.length) describeContainers(w, 'Init Containers', spec.initContainers, st.initContainerStatuses, pod, '');
  describeContainers(w, 'Containers', spec.containers, st.containerStatuses, pod, '');
  if (spec.readinessGates?.length) {
    w.write(0, 'Readiness Gates:\n  Type\tStatus\n');
    for (const g of spec.readinessGates) {
      const c = (st.conditions ?? []).find((x: Any) => x.type === g.conditionType);
      w.write(1, `${g.conditionType} \t${c?.status ?? '<none>'} \n`);
    }
  }
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\n');
    for (const c of st.conditions) w.write(1, `${c.type} \t${c.status} \n`);
  }
  describeVolumes(w, spec.volumes, '');
  w.write(0, `QoS Class:\t${podQos(pod)}\n`);
  labelsMultiline(w, 'Node-Selectors', spec.nodeSelector);
  tolerationsMultiline(w, 'Tolerations', spec.tolerations);
  if (events) describeEvents(w, events);
  return w.text();
}

/** metav1.LabelSelectorAsSelector(...).String() */
export function selectorString(sel: Any): string {
  if (!sel) return '<none>';
  const reqs: { key: string; s: string }[] = [];
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) reqs.push({ key: k, s: `${k}=${v}` });
  for (const e of sel.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort(byteSort).join(',');
    const s = e.operator === 'In' ? `${e.key} in (${vals})` : e.operator === 'NotIn' ? `${e.key} notin (${vals})` : e.operator === 'Exists' ? e.key : `!${e.key}`;
    reqs.push({ key: e.key, s });
  }
  if (reqs.length === 0) return '';
  return reqs.sort((a, b) => byteSort(a.key, b.key)).map((r) => r.s).join(',');
}

function describePodTemplate(w: Writer, t: Any): void {
  w.write(0, 'Pod Template:\n');
  if (!t) { w.write(1, '<unset>'); return; }
  labelsMultiline(w, '  Labels', t.metadata?.labels);
  if (Object.keys(t.metadata?.annotations ?? {}).length) annotationsMultiline(w, '  Annotations', t.metadata.annotations);
  const spec = t.spec ?? {};
  if (spec.serviceAccountName) w.write(1, `Service Account:\t${spec.serviceAccountName}\n`);
  if (spec.initContainers?.length) describeContainers(w, 'Init Containers', spec.initContainers, undefined, undefined, '  ');
  describeContainers(w, 'Containers', spec.containers, undefined, undefined, '  ');
  describeVolumes(w, spec.volumes, '  ');
  if (spec.priorityClassName) w.write(1, `Priority Class Name:\t${spec.priorityClassName}\n`);
  labelsMultiline(w, '  Node-Selectors', spec.nodeSelector);
  tolerationsMultiline(w, 'Tolerations', spec.tolerations, '  ');
}

function equalTemplates(rsTemplate: Any, dTemplate: Any): boolean {
  const strip = (t: Any): string => {
    const c = JSON.parse(JSON.stringify(t ?? {}));
    if (c.metadata?.labels) delete c.metadata.labels['pod-template-hash'];
    return JSON.stringify(c, Object.keys(flattenKeys(c)).sort());
  };
  return strip(rsTemplate) === strip(dTemplate);
}

function flattenKeys(o: Any, out: Record<string, true> = {}): Record<string, true> {
  if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) { out[k] = true; flattenKeys(v, out); }
  return out;
}

async function describeDeployment(ctx: Ctx, d: Any, showEvents: boolean): Promise<string> {
  const md = d.metadata ?? {};
  const spec = d.spec ?? {};
  const st = d.status ?? {};
  const sel = selectorString(spec.selector);
  let oldRSs: Any[] | undefined;
  let newRS: Any | undefined;
  try {
    const rsList = await ctx.client().get<{ items?: Any[] }>(`/apis/apps/v1/namespaces/${encodeURIComponent(md.namespace)}/replicasets`, { query: { labelSelector: sel, limit: '500' } });
    const owned = (rsList.items ?? []).filter((rs: Any) => (rs.metadata?.ownerReferences ?? []).some((o: Any) => o.controller && o.uid === md.uid));
    if (owned.length) {
      owned.sort((a: Any, b: Any) => Date.parse(a.metadata?.creationTimestamp) - Date.parse(b.metadata?.creationTimestamp));
      newRS = owned.find((rs: Any) => equalTemplates(rs.spec?.template, spec.template));
      oldRSs = owned.filter((rs: Any) => rs !== newRS && (rs.spec?.replicas ?? 0) > 0);
    }
  } catch {
    // no replica sets
  }
  const events = showEvents ? await searchEvents(ctx, d, 'Deployment') : undefined;
  const w = new Writer();
  w.write(0, `Name:\t${md.name}\n`);
  w.write(0, `Namespace:\t${md.namespace}\n`);
  w.write(0, `CreationTimestamp:\t${rfc1123z(md.creationTimestamp)}\n`);
  labelsMultiline(w, 'Labels', md.labels);
  annotationsMultiline(w, 'Annotations', md.annotations);
  w.write(0, `Selector:\t${sel}\n`);
  w.write(0, `Replicas:\t${spec.replicas ?? 1} desired | ${st.updatedReplicas ?? 0} updated | ${st.replicas ?? 0} total | ${st.availableReplicas ?? 0} available | ${st.unavailableReplicas ?? 0} unavailable\n`);
  w.write(0, `StrategyType:\t${spec.strategy?.type ?? ''}\n`);
  w.write(0, `MinReadySeconds:\t${spec.minReadySeconds ?? 0}\n`);
  if (spec.strategy?.rollingUpdate) {
    const ru = spec.strategy.rollingUpdate;
    w.write(0, `RollingUpdateStrategy:\t${intOrString(ru.maxUnavailable)} max unavailable, ${intOrString(ru.maxSurge)} max surge\n`);
  }
  describePodTemplate(w, spec.template);
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tReason\n');
    w.write(1, '----\t------\t------\n');
    for (const c of st.conditions) w.write(1, `${c.type} \t${c.status}\t${c.reason ?? ''}\n`);
  }
  if (oldRSs !== undefined || newRS !== undefined) {
    const fmt = (l: Any[]): string => (l.length ? l.map((rs) => `${rs.metadata.name} (${rs.status?.replicas ?? 0}/${rs.spec?.replicas ?? 0} replicas created)`).join(', ') : '<none>');
    w.write(0, `OldReplicaSets:\t${fmt(oldRSs ?? [])}\n`);
    w.write(0, `NewReplicaSet:\t${fmt(newRS ? [newRS] : [])}\n`);
  }
  if (events) describeEvents(w, events);
  return w.text();
}

async function describeService(ctx: Ctx, svc: Any, showEvents: boolean): Promise<string> {
  const md = svc.metadata ?? {};
  const spec = svc.spec ?? {};
  let slices: Any[] = [];
  try {
    const l = await ctx.client().get<{ items?: Any[] }>(`/apis/discovery.k8s.io/v1/namespaces/${encodeURIComponent(md.namespace)}/endpointslices`, { query: { labelSelector: `kubernetes.io/service-name=${md.name}`, limit: '500' } });
    slices = l.items ?? [];
  } catch {
    slices = [];
  }
  const events = showEvents ? await searchEvents(ctx, svc) : undefined;
  const w = new Writer();
  w.write(0, `Name:\t${md.name}\n`);
  w.write(0, `Namespace:\t${md.namespace}\n`);
  labelsMultiline(w, 'Labels', md.labels);
  annotationsMultiline(w, 'Annotations', md.annotations);
  const selKeys = Object.keys(spec.selector ?? {}).sort(byteSort);
  w.write(0, `Selector:\t${selKeys.length ? selKeys.map((k) => `${k}=${spec.selector[k]}`).join(',') : '<none>'}\n`);
  w.write(0, `Type:\t${spec.type ?? ''}\n`);
  if (spec.ipFamilyPolicy) w.write(0, `IP Family Policy:\t${spec.ipFamilyPolicy}\n`);
  w.write(0, `IP Families:\t${spec.ipFamilies?.length ? spec.ipFamilies.join(',') : '<none>'}\n`);
  w.write(0, `IP:\t${spec.clusterIP ?? ''}\n`);
  w.write(0, `IPs:\t${spec.clusterIPs?.length ? spec.clusterIPs.join(',') : '<none>'}\n`);
  if (spec.externalIPs?.length) w.write(0, `External IPs:\t${spec.externalIPs.join(',')}\n`);
  if (spec.loadBalancerIP) w.write(0, `IP:\t${spec.loadBalancerIP}\n`);
  if (spec.loadBalancerClass) w.write(0, `LoadBalancer Class:\t${spec.loadBalancerClass}\n`);
  const ingress = svc.status?.loadBalancer?.ingress ?? [];
  if (ingress.length) w.write(0, `LoadBalancer Ingress:\t${ingress.map((i: Any) => i.ip || i.hostname).join(', ')}\n`);
  for (const sp of spec.ports ?? []) {
    const name = sp.name || '<unset>';
    w.write(0, `Port:\t${name}\t${sp.port}/${sp.protocol}\n`);
    w.write(0, `TargetPort:\t${intOrString(sp.targetPort)}/${sp.protocol}\n`);
    if (sp.nodePort) w.write(0, `NodePort:\t${name}\t${sp.nodePort}/${sp.protocol}\n`);
    w.write(0, `Endpoints:\t${formatEndpointSlices(slices, sp)}\n`);
  }
  w.write(0, `Session Affinity:\t${spec.sessionAffinity ?? ''}\n`);
  if (spec.externalTrafficPolicy) w.write(0, `External Traffic Policy:\t${spec.externalTrafficPolicy}\n`);
  if (spec.internalTrafficPolicy) w.write(0, `Internal Traffic Policy:\t${spec.internalTrafficPolicy}\n`);
  if (spec.healthCheckNodePort) w.write(0, `HealthCheck NodePort:\t${spec.healthCheckNodePort}\n`);
  if (spec.loadBalancerSourceRanges?.length) w.write(0, `LoadBalancer Source Ranges:\t${spec.loadBalancerSourceRanges.join(',')}\n`);
  if (events) describeEvents(w, events);
  return w.text();
}

/** kubectl's formatEndpointSlices: `<none>` only when there is no slice at all; at most 3, then `+ N more...`. */
function formatEndpointSlices(slices: Any[], sp: Any): string {
  if (slices.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  const visit = (ep: Any, port?: number): void => {
    if (list.length === max) more = true;
    const ready = ep.conditions?.ready === undefined || ep.conditions?.ready === null || ep.conditions.ready === true;
    const addr = (ep.addresses ?? [])[0];
    if (!more && ready && addr !== undefined) list.push(port === undefined ? String(addr) : `${addr}:${port}`);
    count++;
  };
  for (const s of slices) {
    const ports: Any[] = s.ports ?? [];
    if (ports.length === 0) {
      for (const ep of s.endpoints ?? []) visit(ep);
      continue;
    }
    for (const port of ports) {
      if ((port.name ?? '') !== (sp.name ?? '')) continue;
      for (const ep of s.endpoints ?? []) visit(ep, port.port);
    }
  }
  return list.join(',') + (more ? ` + ${count - max} more...` : '');
}

const INT64_MIN = '-9223372036854775808';

/** int64(float64(req) / float64(alloc) * 100) as Go computes it on amd64. */
function pct(req: number, alloc: number): string {
  const v = (req / alloc) * 100;
  if (!Number.isFinite(v)) return INT64_MIN;
  return String(Math.trunc(v));
}

function fmtQuantity(n: number, binary: boolean): string {
  if (n === 0) return '0';
  if (!binary) {
    if (Number.isInteger(n)) return String(n);
    return `${Math.round(n * 1000)}m`;
  }
  for (const [s, m] of [['Ei', 2 ** 60], ['Pi', 2 ** 50], ['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as [string, number][]) {
    if (n % m === 0) return `${n / m}${s}`;
  }
  return String(n);
}

async function describeNode(ctx: Ctx, node: Any, showEvents: boolean): Promise<string> {
  const md = node.metadata ?? {};
  const spec = node.spec ?? {};
  const st = node.status ?? {};
  const pods = await ctx.client().get<{ items?: Any[] }>('/api/v1/pods', { query: { fieldSelector: `spec.nodeName=${md.name},status.phase!=Succeeded,status.phase!=Failed`, limit: '500' } }).then((l) => l.items ?? [], () => []);
  let events: Any[] | undefined;
  if (showEvents) {
    const a = await searchEvents(ctx, node, 'Node');
    const b = await searchEvents(ctx, node, 'Node', md.name);
    const seen = new Set<string>();
    events = [...a, ...b].filter((e) => { const k = e.metadata?.uid ?? e.metadata?.name; if (seen.has(k)) return false; seen.add(k); return true; });
  }
  let lease: Any | undefined;
  let leaseErr: string | undefined;
  try {
    lease = await ctx.client().get(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${encodeURIComponent(md.name)}`);
  } catch (e) {
    leaseErr = e instanceof ApiError ? e.message : String(e);
  }
  const w = new Writer();
  w.write(0, `Name:\t${md.name}\n`);
  const roles = Object.keys(md.labels ?? {}).filter((k) => k.startsWith('node-role.kubernetes.io/')).map((k) => k.slice('node-role.kubernetes.io/'.length)).filter(Boolean);
  if (md.labels?.['kubernetes.io/role']) roles.push(md.labels['kubernetes.io/role']);
  w.write(0, `Roles:\t${roles.length ? roles.sort(byteSort).join(',') : '<none>'}\n`);
  labelsMultiline(w, 'Labels', md.labels);
  annotationsMultiline(w, 'Annotations', md.annotations);
  w.write(0, `CreationTimestamp:\t${rfc1123z(md.creationTimestamp)}\n`);
  // kubectl prints taints sorted by "effect,key".
  const taintKey = (t: Any): string => `${t.effect ?? ''},${t.key ?? ''}`;
  const taints = [...(spec.taints ?? [])].sort((a: Any, b: Any) => byteSort(taintKey(a), taintKey(b)));
  if (taints.length === 0) w.write(0, 'Taints:\t<none>\n');
  else taints.forEach((t: Any, i: number) => w.write(0, `${i === 0 ? 'Taints:' : ''}\t${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}\n`));
  w.write(0, `Unschedulable:\t${spec.unschedulable === true}\n`);
  if (lease) {
    w.write(0, 'Lease:\n');
    w.write(1, `HolderIdentity:\t${lease.spec?.holderIdentity ?? '<unset>'}\n`);
    w.write(1, `AcquireTime:\t${lease.spec?.acquireTime ? rfc1123z(lease.spec.acquireTime) : '<unset>'}\n`);
    w.write(1, `RenewTime:\t${lease.spec?.renewTime ? rfc1123z(lease.spec.renewTime) : '<unset>'}\n`);
  } else w.write(0, `Lease:\tFailed to get lease: ${leaseErr}\n`);
  if (st.conditions?.length) {
    w.write(0, 'Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n');
    w.write(1, '----\t------\t-----------------\t------------------\t------\t-------\n');
    for (const c of st.conditions) {
      w.write(1, `${c.type} \t${c.status} \t${rfc1123z(c.lastHeartbeatTime)} \t${rfc1123z(c.lastTransitionTime)} \t${c.reason ?? ''} \t${c.message ?? ''}\n`);
    }
  }
  w.write(0, 'Addresses:\n');
  for (const a of st.addresses ?? []) w.write(1, `${a.type}:\t${a.address}\n`);
  const printRes = (title: string, r: Record<string, unknown> | undefined): void => {
    if (!r || Object.keys(r).length === 0) return;
    w.write(0, `${title}:\n`);
    for (const k of Object.keys(r).sort(byteSort)) w.write(1, `${k}:\t${String(r[k])}\n`);
  };
  printRes('Capacity', st.capacity);
  printRes('Allocatable', st.allocatable);
  const ni = st.nodeInfo ?? {};
  w.write(0, 'System Info:\n');
  w.write(0, `  Machine ID:\t${ni.machineID ?? ''}\n`);
  w.write(0, `  System UUID:\t${ni.systemUUID ?? ''}\n`);
  w.write(0, `  Boot ID:\t${ni.bootID ?? ''}\n`);
  w.write(0, `  Kernel Version:\t${ni.kernelVersion ?? ''}\n`);
  w.write(0, `  OS Image:\t${ni.osImage ?? ''}\n`);
  w.write(0, `  Operating System:\t${ni.operatingSystem ?? ''}\n`);
  w.write(0, `  Architecture:\t${ni.architecture ?? ''}\n`);
  w.write(0, `  Container Runtime Version:\t${ni.containerRuntimeVersion ?? ''}\n`);
  w.write(0, `  Kubelet Version:\t${ni.kubeletVersion ?? ''}\n`);
  w.write(0, `  Kube-Proxy Version:\t${ni.kubeProxyVersion ?? ''}\n`);
  if (spec.podCIDR) w.write(0, `PodCIDR:\t${spec.podCIDR}\n`);
  if (spec.podCIDRs?.length) w.write(0, `PodCIDRs:\t${spec.podCIDRs.join(',')}\n`);
  if (spec.providerID) w.write(0, `ProviderID:\t${spec.providerID}\n`);
  const alloc = st.allocatable ?? {};
  const allocCpu = parseQuantity(alloc.cpu);
  const allocMem = parseQuantity(alloc.memory);
  const podRes = (p: Any): { cr: number; cl: number; mr: number; ml: number; crs: string; cls: string; mrs: string; mls: string } => {
    let cr = 0; let cl = 0; let mr = 0; let ml = 0;
    for (const c of p.spec?.containers ?? []) {
      const rq = c.resources?.requests ?? {};
      const lm = c.resources?.limits ?? {};
      cr += parseQuantity(rq.cpu ?? lm.cpu); cl += parseQuantity(lm.cpu);
      mr += parseQuantity(rq.memory ?? lm.memory); ml += parseQuantity(lm.memory);
    }
    return { cr, cl, mr, ml, crs: fmtQuantity(cr, false), cls: fmtQuantity(cl, false), mrs: fmtQuantity(mr, true), mls: fmtQuantity(ml, true) };
  };
  w.write(0, `Non-terminated Pods:\t(${pods.length} in total)\n`);
  w.write(1, 'Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n');
  w.write(1, '---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n');
  let tcr = 0; let tcl = 0; let tmr = 0; let tml = 0;
  for (const p of pods) {
    const r = podRes(p);
    tcr += r.cr; tcl += r.cl; tmr += r.mr; tml += r.ml;
    w.write(1, `${p.metadata?.namespace}\t${p.metadata?.name}\t\t${r.crs} (${pct(r.cr, allocCpu)}%)\t${r.cls} (${pct(r.cl, allocCpu)}%)\t${r.mrs} (${pct(r.mr, allocMem)}%)\t${r.mls} (${pct(r.ml, allocMem)}%)\t${since(p.metadata?.creationTimestamp)}\n`);
  }
  const p2 = (req: number, a: number): string => (a === 0 ? '0' : String(Math.trunc((req / a) * 100)));
  w.write(0, 'Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n');
  w.write(1, 'Resource\tRequests\tLimits\n');
  w.write(1, '--------\t--------\t------\n');
  w.write(1, `cpu\t${fmtQuantity(tcr, false)} (${p2(tcr, allocCpu)}%)\t${fmtQuantity(tcl, false)} (${p2(tcl, allocCpu)}%)\n`);
  w.write(1, `memory\t${fmtQuantity(tmr, true)} (${p2(tmr, allocMem)}%)\t${fmtQuantity(tml, true)} (${p2(tml, allocMem)}%)\n`);
  w.write(1, `ephemeral-storage\t0 (0%)\t0 (0%)\n`);
  for (const k of Object.keys(alloc).filter((k) => k.startsWith('hugepages-')).sort(byteSort)) w.write(1, `${k}\t0 (0%)\t0 (0%)\n`);
  if (events) describeEvents(w, events);
  return w.text();
}

function describeConfigMap(cm: Any, events: Any[] | undefined): string {
  const w = new Writer();
  const md = cm.metadata ?? {};
  w.write(0, `Name:\t${md.name}\n`);
  w.write(0, `Namespace:\t${md.namespace}\n`);
  labelsMultiline(w, 'Labels', md.labels);
  annotationsMultiline(w, 'Annotations', md.annotations);
  w.write(0, '\nData\n====\n');
  for (const k of Object.keys(cm.data ?? {}).sort(byteSort)) {
    w.write(0, `${k}:\n----\n`);
    w.write(0, `${cm.data[k]}\n`);
    w.write(0, '\n');
  }
  w.write(0, '\nBinaryData\n====\n');
  for (const k of Object.keys(cm.binaryData ?? {}).sort(byteSort)) {
    w.write(0, `${k}: ${Buffer.from(String(cm.binaryData[k]), 'base64').length} bytes\n`);
  }
  w.write(0, '\n');
  if (events) describeEvents(w, events);
  return w.text();
}

async function describeObject(ctx: Ctx, r: ApiResource, obj: Any): Promise<string> {
  const showEvents = ctx.flags.bool('show-events', true);
  switch (`${r.group}/${r.kind}`) {
    case '/Pod': return describePod(obj, showEvents ? await searchEvents(ctx, obj) : undefined);
    case 'apps/Deployment': return describeDeployment(ctx, obj, showEvents);
    case '/Service': return describeService(ctx, obj, showEvents);
    case '/Node': return describeNode(ctx, obj, showEvents);
    case '/ConfigMap': return describeConfigMap(obj, showEvents ? await searchEvents(ctx, obj) : undefined);
    default: throw cliError(`skiffctl cannot describe ${r.kind} yet`);
  }
}

export async function describe(ctx: Ctx, args: string[]): Promise<number> {
  if (args.length === 0) throw cliError('You must specify the type of resource to describe. Use "kubectl api-resources" for a complete list of supported resources.');
  const disc = ctx.discovery();
  const client = ctx.client();
  const allNs = ctx.flags.bool('all-namespaces');
  const ns = ctx.namespace;
  const outs: string[] = [];
  const errors: string[] = [];
  let prefixMatched = false;
  const targets: { r: ApiResource; names: string[] }[] = [];
  if (args[0]?.includes('/')) {
    for (const a of args) {
      const i = a.indexOf('/');
      targets.push({ r: await disc.resolve(a.slice(0, i)), names: [a.slice(i + 1)] });
    }
  } else {
    for (const t of (args[0] as string).split(',')) targets.push({ r: await disc.resolve(t), names: args.slice(1) });
  }
  for (const { r, names } of targets) {
    if (names.length === 0) {
      const list = await client.get<{ items?: Any[] }>(resourcePath(r, allNs ? undefined : ns), { query: { labelSelector: ctx.flags.str('selector'), fieldSelector: ctx.flags.str('field-selector') } });
      for (const o of list.items ?? []) outs.push(await describeObject(ctx, r, o));
      continue;
    }
    for (const name of names) {
      try {
        const o = await client.get<Any>(resourcePath(r, ns, name));
        outs.push(await describeObject(ctx, r, o));
      } catch (e) {
        if (!isNotFound(e)) throw e;
        // kubectl falls back to describing every object whose name starts with NAME
        const list = await client.get<{ items?: Any[] }>(resourcePath(r, ns), {});
        const matches = (list.items ?? []).filter((o: Any) => String(o.metadata?.name ?? '').startsWith(name));
        if (matches.length === 0) { errors.push(formatApiError(e as ApiError)); continue; }
        prefixMatched = true;
        for (const o of matches) outs.push(`${await describeObject(ctx, r, o)}\n`);
      }
    }
  }
  if (prefixMatched) ctx.out(outs.join(''));
  else ctx.out(outs.join('\n\n'));
  if (outs.length === 0 && errors.length === 0) {
    const allNamespaced = !allNs && targets.every((t) => t.r.namespaced);
    ctx.err(allNamespaced ? `No resources found in ${ns} namespace.\n` : 'No resources found\n');
  }
  if (errors.length) throw new CliError(errors.join('\n'));
  return 0;
}
