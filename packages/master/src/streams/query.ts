import { StatusError } from '@skiff/api';
import type { Request } from 'express';

type Query = Record<string, unknown>;

/** Every value of a repeated parameter (`command=sh&command=-c`). */
export function qAll(req: Request, name: string): string[] {
  const v = (req.query as Query)[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).map(String);
}

export function q(req: Request, name: string): string | undefined {
  const all = qAll(req, name);
  return all.length ? all[all.length - 1] : undefined;
}

export function qBool(req: Request, name: string): boolean {
  const v = q(req, name);
  return v === 'true' || v === '1';
}

/** An optional integer parameter that must be >= min; BadRequest in Kubernetes' words otherwise. */
export function qInt(req: Request, name: string, min: number): number | undefined {
  const v = q(req, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw StatusError.badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  if (n < min) throw StatusError.badRequest(`${name}: Invalid value: ${n}: must be greater than or equal to ${min}`);
  return n;
}
