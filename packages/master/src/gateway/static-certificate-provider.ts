import type * as grpc from '@grpc/grpc-js';

type Provider = grpc.experimental.CertificateProvider;

/**
 * A grpc-js certificate provider with fixed material. Server credentials built
 * from it request a client certificate without requiring one (plain
 * ServerCredentials.createSsl can only do both or neither), so Join works
 * without a certificate and the other calls check the verified peer.
 */
export function staticCertificateProvider(pem: { ca: string; cert: string; key: string }): Provider {
  const ca = { caCertificate: Buffer.from(pem.ca) };
  const identity = { certificate: Buffer.from(pem.cert), privateKey: Buffer.from(pem.key) };
  return {
    // Asynchronously: grpc-js registers its watcher only after adding these listeners.
    addCaCertificateListener: (l) => queueMicrotask(() => l(ca)),
    removeCaCertificateListener: () => undefined,
    addIdentityCertificateListener: (l) => queueMicrotask(() => l(identity)),
    removeIdentityCertificateListener: () => undefined,
  };
}
