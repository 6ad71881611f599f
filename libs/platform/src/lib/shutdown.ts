/**
 * Whether this process is stopping. Set on SIGTERM, before the server closes: `/readyz` then answers
 * 503, so a load balancer (a Kubernetes Service, an ingress) stops sending new calls while those in
 * flight finish.
 */
let stopping = false;

export function draining(): boolean {
  return stopping;
}

export function startDraining(): void {
  stopping = true;
}
