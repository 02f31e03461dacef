import type { Container, LifecycleHandler } from 'kubernetes-types/core/v1';
import type { Runtime } from '../runtime/runtime';
import { execProbe, httpProbe, resolvePort } from '../probes/probe-runner';

/**
 * Runs a postStart or preStop handler (exec in the container, or an HTTP GET
 * to the pod). Resolves with an error message, or undefined on success.
 */
export async function runLifecycleHandler(
  runtime: Runtime, containerId: string, container: Container, handler: LifecycleHandler, podIP: string | undefined, timeoutMs: number,
): Promise<string | undefined> {
  if (handler.exec) {
    const cmd = handler.exec.command ?? [];
    try {
      const o = await execProbe({ runtime, containerId, container }, cmd, timeoutMs);
      return o.result === 'Success' ? undefined : `command '${cmd.join(' ')}' exited with non-zero code: ${o.output}`;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
  if (handler.httpGet) {
    const g = handler.httpGet;
    const host = g.host || podIP;
    if (!host) return 'pod has no IP for the httpGet hook';
    let p = g.path ?? '/';
    if (!p.startsWith('/')) p = `/${p}`;
    const headers: Record<string, string> = {};
    for (const h of g.httpHeaders ?? []) headers[h.name] = h.value;
    try {
      const o = await httpProbe((g.scheme ?? 'HTTP').toLowerCase() === 'https' ? 'https' : 'http', host, resolvePort(g.port, container), p, headers, timeoutMs);
      return o.result === 'Success' ? undefined : o.output;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
  if (handler.sleep) {
    await new Promise((r) => setTimeout(r, Math.min(handler.sleep!.seconds * 1000, timeoutMs)));
    return undefined;
  }
  return 'no handler specified';
}
