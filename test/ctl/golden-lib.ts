/**
 * Shared pieces of the skiffctl golden tests: the normalisation applied to kubectl's and
 * skiffctl's output before they are compared, and a way to run both side by side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO, type ExecResult } from '../lib/control-plane';

export const SKIFFCTL = join(REPO, 'packages/ctl/dist/main.js');

export const AGE = /(?<=^|\s)\d+[smhd](\d+[smhd])?(?=\s|$)/gm;
export const UID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
export const RV = /("?resourceVersion"?:\s*)"\d+"/g;
export const TS = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g;
export const KLOG = /^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [\w.-]+:\d+\] .*\n/gm;
/** Names controllers generate: `<rs>-<pod-template-hash>` and `<rs>-<hash>-<5 chars>`. */
export const GENERATED = /-[bcdfghjklmnpqrstvwxz2456789]{8,10}(?:-[bcdfghjklmnpqrstvwxz2456789]{5})?\b/g;

export function normaliseText(s: string): string {
  return s.replace(KLOG, '').replace(UID, '<uid>').replace(RV, '$1"<rv>"').replace(TS, '<ts>').replace(AGE, '<age>').replace(GENERATED, '-<hash>')
    .replace(/^Client Version: .*$/m, 'Client Version: <client>').replace(/^Kustomize Version: .*\n/m, '');
}

export function normalise(r: ExecResult, extra: (s: string) => string = (s) => s): ExecResult {
  return { code: r.code, stdout: extra(normaliseText(r.stdout)), stderr: extra(normaliseText(r.stderr)) };
}

/** A command left running (logs -f, port-forward), its output collected. */
export interface Background {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (or the signal's name) once it ended. */
  exited: Promise<number | string>;
}

export function background(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Background {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  return { proc, out: () => out, err: () => err, exited };
}
