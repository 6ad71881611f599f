import { GATEWAY_PORTS } from '@dispatch/contracts';
import { envTypes, parseEnv } from '@dispatch/platform';

export interface GatewayConfig {
  /** A generated HTTPS certificate goes under `<dataDir>/gateway`. */
  dataDir: string;
  host: string;
  /** Plain HTTP port (8081 in solo); undefined serves no plain HTTP. 0 takes any free port. */
  port?: number;
  /** HTTPS port (8444 in solo); undefined serves no HTTPS. */
  tlsPort?: number;
  tlsCert?: string;
  tlsKey?: string;
  /**
   * Behind a proxy that terminates TLS (an Ingress): a request on the plain HTTP port counts as HTTPS
   * when the proxy's X-Forwarded-Proto says so. Off by default, since any client that reaches the port
   * directly could say so too; turn it on only where the proxy is the port's only client.
   */
  forwardedProto?: boolean;
}

export const GATEWAY_CONFIG = Symbol.for('dispatch.gateway-config');

/**
 * The gateway's settings from the environment, as solo and the api-gateway service both read them:
 * DISPATCH_GATEWAY_PORT and DISPATCH_GATEWAY_TLS_PORT (the topology table's gateway ports by default),
 * the PEM files of its HTTPS certificate, DISPATCH_TLS_CERT and DISPATCH_TLS_KEY, and
 * DISPATCH_GATEWAY_FORWARDED_PROTO (`true` behind a proxy that terminates TLS; see forwardedProto).
 */
export function gatewayConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<GatewayConfig, 'port' | 'tlsPort' | 'tlsCert' | 'tlsKey' | 'forwardedProto'> {
  const parsed = parseEnv(
    {
      DISPATCH_GATEWAY_PORT: envTypes.port(GATEWAY_PORTS.http),
      DISPATCH_GATEWAY_TLS_PORT: envTypes.port(GATEWAY_PORTS.https),
      DISPATCH_TLS_CERT: envTypes.optional(),
      DISPATCH_TLS_KEY: envTypes.optional(),
      DISPATCH_GATEWAY_FORWARDED_PROTO: envTypes.flag(false),
    },
    env,
  );
  return {
    port: parsed.DISPATCH_GATEWAY_PORT,
    tlsPort: parsed.DISPATCH_GATEWAY_TLS_PORT,
    tlsCert: parsed.DISPATCH_TLS_CERT,
    tlsKey: parsed.DISPATCH_TLS_KEY,
    forwardedProto: parsed.DISPATCH_GATEWAY_FORWARDED_PROTO,
  };
}
