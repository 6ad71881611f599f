export const CONSOLE_CONFIG = Symbol('CONSOLE_CONFIG');

/** Who a one-time sign-in link signs in: solo's local administrator, by its key. */
export interface LocalAdministrator {
  /** `org/account`, the issuer of the tokens signed for it. */
  serviceAccount: string;
  /** The PEM file of its private key. */
  keyFile: string;
}

export interface ConsoleConfig {
  /** The built console (`apps/ui/dist`): index.html and hashed assets, with .br and .gz beside them. */
  assetsDir: string;
  /**
   * Where the console's server calls the Dispatch API on a user's behalf, by the path it calls: in solo
   * its own port (known once it listens), in the distributed shape the service that owns the path.
   */
  apiUrl: string | ((path: string) => string);
  /**
   * Where endpoints are served, for the links the console shows them with: solo's gateway port; in the
   * distributed shape the ingress, which is the console's own address (the default).
   */
  endpointsUrl?: string | (() => string);
  /** Solo: one-time links sign this administrator in, so the console works with no OpenID provider. */
  localAdministrator?: LocalAdministrator;
  /**
   * The console's own address as users reach it (`https://dispatch.example.com`): the OpenID
   * provider sends users back to `<publicUrl>/ui/login/callback`. Without it, the request's own.
   */
  publicUrl?: string;
  /** Cookies marked Secure: served over HTTPS (or behind an ingress ending TLS). */
  secureCookies: boolean;
  /**
   * Where sessions are kept: this process's memory (solo), or the entity store, so that every replica
   * of the process serving the console knows every session (the distributed shape).
   */
  sessions?: 'memory' | 'store';
}

export function apiUrlOf(config: ConsoleConfig, path: string): string {
  return (typeof config.apiUrl === 'function' ? config.apiUrl(path) : config.apiUrl).replace(/\/+$/, '');
}
