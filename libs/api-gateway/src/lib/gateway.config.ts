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
}

export const GATEWAY_CONFIG = Symbol.for('dispatch.gateway-config');
