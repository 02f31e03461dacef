/**
 * The one error type of the API: a Kubernetes Status with factories and predicates.
 * The apiserver's HTTP error handler turns it into a `Status` body.
 */
export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export type StatusReason =
  | 'NotFound' | 'AlreadyExists' | 'Conflict' | 'Invalid' | 'BadRequest' | 'Forbidden'
  | 'Unauthorized' | 'MethodNotAllowed' | 'Gone' | 'Expired' | 'UnsupportedMediaType'
  | 'NotAcceptable' | 'RequestEntityTooLarge' | 'TooManyRequests' | 'InternalError'
  | 'ServiceUnavailable' | 'Timeout';

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** One field error, as validation reports it: `spec.containers[0].image: Required value`. */
export interface FieldError {
  /** FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong, FieldValueTypeInvalid */
  type: string;
  field: string;
  /** The whole detail as Kubernetes prints it after the path, e.g. `Required value` or `Invalid value: "x": must be ...`. */
  detail: string;
}

export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason, code: this.code };
    if (this.details) s.details = this.details;
    return s;
  }

  static notFound(resource: string, name: string, group = ''): StatusError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new StatusError(404, 'NotFound', `${qualified} "${name}" not found`, { name, group: group || undefined, kind: resource });
  }

  static alreadyExists(resource: string, name: string, group = ''): StatusError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new StatusError(409, 'AlreadyExists', `${qualified} "${name}" already exists`, { name, group: group || undefined, kind: resource });
  }

  static conflict(resource: string, name: string, why: string, group = ''): StatusError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified} "${name}": ${why}`, { name, group: group || undefined, kind: resource });
  }

  /** 422 with one cause per bad field, worded as Kubernetes words it. */
  static invalid(kind: string, name: string, errors: FieldError[], group = ''): StatusError {
    const qualified = group ? `${kind}.${group}` : kind;
    const list = errors.map((e) => `${e.field}: ${e.detail}`);
    const msg = `${qualified} "${name}" is invalid: ` + (list.length === 1 ? list[0] : `[${list.join(', ')}]`);
    return new StatusError(422, 'Invalid', msg, {
      name, group: group || undefined, kind,
      causes: errors.map((e) => ({ reason: e.type, message: e.detail, field: e.field })),
    });
  }

  static badRequest(message: string, causes?: StatusCause[]): StatusError {
    return new StatusError(400, 'BadRequest', message, causes ? { causes } : undefined);
  }

  static forbidden(message: string): StatusError {
    return new StatusError(403, 'Forbidden', message);
  }

  static unauthorized(): StatusError {
    return new StatusError(401, 'Unauthorized', 'Unauthorized');
  }

  static methodNotAllowed(message: string): StatusError {
    return new StatusError(405, 'MethodNotAllowed', message);
  }

  static gone(message: string): StatusError {
    return new StatusError(410, 'Expired', message);
  }

  static unsupportedMediaType(contentType: string): StatusError {
    return new StatusError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf (got ${contentType})`);
  }

  static tooLarge(limit: number): StatusError {
    return new StatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limit}`);
  }

  static internal(message: string): StatusError {
    return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
  }

  static tooManyRequests(message: string, retryAfterSeconds = 1): StatusError {
    return new StatusError(429, 'TooManyRequests', message, { retryAfterSeconds });
  }
}

export function isStatusError(e: unknown): e is StatusError {
  return e instanceof StatusError;
}
export const isNotFound = (e: unknown): boolean => isStatusError(e) && e.code === 404;
export const isConflict = (e: unknown): boolean => isStatusError(e) && e.code === 409;
export const isAlreadyExists = (e: unknown): boolean => isStatusError(e) && e.reason === 'AlreadyExists';

/** Helpers for building field errors with the Kubernetes wording. */
export const fieldErr = {
  required: (field: string, msg = ''): FieldError => ({ type: 'FieldValueRequired', field, detail: msg ? `Required value: ${msg}` : 'Required value' }),
  invalid: (field: string, value: unknown, msg: string): FieldError => ({ type: 'FieldValueInvalid', field, detail: `Invalid value: ${fmtValue(value)}: ${msg}` }),
  notSupported: (field: string, value: unknown, allowed: string[]): FieldError => ({ type: 'FieldValueNotSupported', field, detail: `Unsupported value: ${fmtValue(value)}: supported values: ${allowed.map((a) => `"${a}"`).join(', ')}` }),
  duplicate: (field: string, value: unknown): FieldError => ({ type: 'FieldValueDuplicate', field, detail: `Duplicate value: ${fmtValue(value)}` }),
  forbidden: (field: string, msg: string): FieldError => ({ type: 'FieldValueForbidden', field, detail: `Forbidden: ${msg}` }),
  tooLong: (field: string, max: number): FieldError => ({ type: 'FieldValueTooLong', field, detail: `Too long: may not be more than ${max} bytes` }),
  typeInvalid: (field: string, value: unknown, msg: string): FieldError => ({ type: 'FieldValueTypeInvalid', field, detail: `Invalid value: ${fmtValue(value)}: ${msg}` }),
};

function fmtValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  try {
    const s = JSON.stringify(v);
    return s.length > 200 ? `${s.slice(0, 200)}...` : s;
  } catch {
    return '"<unprintable>"';
  }
}
