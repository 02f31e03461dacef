import * as grpc from '@grpc/grpc-js';
import type { ClusterPki, Registry } from '@skiff/apiserver';
import type { Logger } from '@skiff/logging';
import { agentGatewayService } from './agent-proto';
import { GatewayService } from './gateway-service';
import { issueGatewayServingCert } from './serving-cert';
import { staticCertificateProvider } from './static-certificate-provider';

export { createBootstrapToken, validateBootstrapToken, BootstrapTokenError, BOOTSTRAP_TOKEN_PATTERN, DEFAULT_TOKEN_TTL_SECONDS } from './bootstrap-tokens';
export { printJoinCommand, joinCommand, DEFAULT_GATEWAY_PORT, type JoinCommandOptions } from './token-command';
export { podReferences } from './pod-references';
export { containersStopped, microTime } from './node-writes';

export interface AgentGatewayOptions {
  registry: Registry;
  log: Logger;
  pki: ClusterPki;
  port: number;
  host: string;
  /** The master's home; reserved for gateway state (the serving certificate is issued at start). */
  home: string;
  /** Extra names or addresses for the serving certificate (the advertise address). */
  advertise?: string[];
  /** Validity of the node certificates the gateway issues (default 365 days); agents renew at 70% of it. */
  nodeCertValiditySeconds?: number;
  /** More gRPC services on the gateway's port (AgentStreams: the master -> agent stream tunnel). */
  services?: { definition: grpc.ServiceDefinition; implementation: grpc.UntypedServiceImplementation }[];
}

export interface AgentGateway {
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * The agent gateway: the gRPC server agents join, register, renew leases,
 * watch assignments and report to (proto/agent/v1/agent.proto). One TLS port;
 * a client certificate is asked for but only the calls after Join need one.
 */
export async function startAgentGateway(opts: AgentGatewayOptions): Promise<AgentGateway> {
  const log = opts.log.child({ component: 'agent-gateway' });
  const serving = await issueGatewayServingCert(opts.pki.ca, opts.host, opts.advertise);
  const provider = staticCertificateProvider({ ca: opts.pki.ca.cert, cert: serving.cert, key: serving.key });
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(provider, provider, false);
  const service = new GatewayService(opts.registry, opts.pki.ca, log, opts.nodeCertValiditySeconds !== undefined ? opts.nodeCertValiditySeconds / 86_400 : undefined);
  const server = new grpc.Server({
    'grpc.keepalive_time_ms': 20_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.http2.min_ping_interval_without_data_ms': 5_000,
  });
  server.addService(agentGatewayService(), service.handlers());
  for (const s of opts.services ?? []) server.addService(s.definition, s.implementation);
  const address = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, p) => (err ? reject(new Error(`agent gateway cannot listen on ${address}: ${err.message}`)) : resolve(p)));
  });
  log.info('agent gateway serving', { address: `${opts.host}:${port}` });
  return {
    port,
    async stop(): Promise<void> {
      service.closeStreams();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => { server.forceShutdown(); resolve(); }, 2000);
        server.tryShutdown(() => { clearTimeout(t); resolve(); });
      });
    },
  };
}
export { AssignmentStream } from './assignment-stream';
