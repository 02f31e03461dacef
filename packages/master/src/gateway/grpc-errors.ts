import * as grpc from '@grpc/grpc-js';
import { StatusError } from '@skiff/api';
import { BootstrapTokenError } from './bootstrap-tokens';
import { NodeAuthError } from './node-identity';

/** A Kubernetes Status error (or one of ours) as a gRPC status. */
export function toServiceError(e: unknown): Partial<grpc.ServiceError> & { code: grpc.status; details: string } {
  if (e instanceof NodeAuthError) return { code: e.code, details: e.message };
  if (e instanceof BootstrapTokenError) return { code: grpc.status.UNAUTHENTICATED, details: e.message };
  if (e instanceof StatusError) {
    const code = e.code === 404 ? grpc.status.NOT_FOUND
      : e.code === 409 ? grpc.status.ABORTED
        : e.code === 400 || e.code === 422 ? grpc.status.INVALID_ARGUMENT
          : e.code === 403 ? grpc.status.PERMISSION_DENIED
            : e.code === 410 ? grpc.status.OUT_OF_RANGE
              : grpc.status.INTERNAL;
    return { code, details: e.message };
  }
  if (e instanceof SyntaxError) return { code: grpc.status.INVALID_ARGUMENT, details: `bad JSON: ${e.message}` };
  return { code: grpc.status.INTERNAL, details: e instanceof Error ? e.message : String(e) };
}
