/** `GET /v1/version`: what is running, so a client can tell which server it talks to. */
export interface VersionInfo {
  version: string;
  commit: string;
  buildDate: string;
  nodeVersion: string;
  os: string;
  arch: string;
  /** `os/arch`, the field the original Dispatch's clients read. */
  platform: string;
  /** `solo` or the name of the distributed service that answered. */
  shape: string;
}

/** `GET /healthz` and `/readyz`. */
export interface HealthReport {
  /** `draining`: the process is stopping and takes no new calls, while those in flight finish. */
  status: 'ok' | 'unavailable' | 'draining';
  checks: Record<string, { status: 'ok' | 'unavailable'; message?: string }>;
}
