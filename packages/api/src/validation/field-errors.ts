/**
 * Paths and error builders with Kubernetes' wording. The common shapes come from
 * `fieldErr` (../errors); the `*Raw` forms take a value already rendered the way Go prints
 * it (see go-format.ts) for the messages where Kubernetes prints a map or a struct.
 */
import { fieldErr, type FieldError } from '../errors';
import { goQuote } from './go-format';

export type { FieldError };

export const childPath = (path: string, ...names: string[]): string => names.reduce((p, n) => (p ? `${p}.${n}` : n), path);
export const indexPath = (path: string, i: number): string => `${path}[${i}]`;
export const keyPath = (path: string, key: string): string => `${path}[${key}]`;

export const required = (path: string, detail = ''): FieldError => fieldErr.required(path, detail);
export const invalid = (path: string, value: unknown, detail: string): FieldError => fieldErr.invalid(path, value, detail);
export const notSupported = (path: string, value: unknown, allowed: string[]): FieldError => fieldErr.notSupported(path, value, allowed);
export const duplicate = (path: string, value: unknown): FieldError => fieldErr.duplicate(path, value);
export const forbidden = (path: string, detail: string): FieldError => fieldErr.forbidden(path, detail);
export const tooLong = (path: string, max: number): FieldError => fieldErr.tooLong(path, max);
export const typeInvalid = (path: string, value: unknown, detail: string): FieldError => fieldErr.typeInvalid(path, value, detail);

export function invalidRaw(path: string, rendered: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: path, detail: detail ? `Invalid value: ${rendered}: ${detail}` : `Invalid value: ${rendered}` };
}

export function duplicateRaw(path: string, rendered: string, detail = ''): FieldError {
  return { type: 'FieldValueDuplicate', field: path, detail: detail ? `Duplicate value: ${rendered}: ${detail}` : `Duplicate value: ${rendered}` };
}

export function notFound(path: string, value: string): FieldError {
  return { type: 'FieldValueNotFound', field: path, detail: `Not found: ${goQuote(value)}` };
}

export function tooMany(path: string, actual: number, max: number): FieldError {
  return { type: 'FieldValueTooMany', field: path, detail: `Too many: ${actual}: must have at most ${max} items` };
}

export const IMMUTABLE = 'field is immutable';
export const NEGATIVE = 'must be greater than or equal to 0';

/** ValidateNonnegativeField. */
export function nonNegative(path: string, value: number | undefined): FieldError[] {
  return value !== undefined && value < 0 ? [invalid(path, value, NEGATIVE)] : [];
}
