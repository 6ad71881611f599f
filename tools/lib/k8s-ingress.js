// The ingress controller of an installation on the Kubernetes node of tools/k8s.js: Traefik
// (tools/traefik), reading the chart's Ingress from the API server, as an operator's controller does.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureTraefik } from './k8s-build.js';
import { selfSigned } from './tls.js';

/** The controller name Traefik serves IngressClasses of. */
const CONTROLLER = 'traefik.io/ingress-controller';

/** The IngressClass of one installation, named after its release: its controller serves only it. */
export function ingressClass(release) {
  return JSON.stringify({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: release, labels: { 'app.kubernetes.io/managed-by': 'dispatch-tools' } },
    spec: { controller: CONTROLLER },
  });
}

/**
 * Writes the configuration of the controller of `release` into `dir` and gives its command line and
 * environment. It serves the release's Ingress (IngressClass `release`, namespace `release`) on
 * 127.0.0.1:`port`, and on `tlsPort` over HTTPS with a self-signed certificate for 127.0.0.1 and
 * localhost (DIR/tls.crt), ending TLS and saying so with X-Forwarded-Proto, as ingresses do. It runs
 * on the host with the node's admin kubeconfig and sends each call to a ready pod of the Service,
 * from its EndpointSlices, so it does not meet kube-proxy lagging behind a pod that just came up.
 */
export function prepareIngress({ dir, release, port, tlsPort, kubeconfig }) {
  const traefik = ensureTraefik();
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  if (!existsSync(certFile))
    selfSigned({ keyFile, certFile, subject: '/CN=localhost', altNames: 'DNS:localhost,IP:127.0.0.1' });
  // Traefik reads YAML (or TOML) files; JSON is YAML.
  const dynamic = join(dir, 'tls.yaml');
  writeFileSync(
    dynamic,
    JSON.stringify({ tls: { stores: { default: { defaultCertificate: { certFile, keyFile } } } } }),
  );
  const config = join(dir, 'traefik.yaml');
  const staticConfig = {
    entryPoints: {
      web: { address: `127.0.0.1:${port}` },
      websecure: { address: `127.0.0.1:${tlsPort}`, http: { tls: {} } },
    },
    providers: {
      kubernetesIngress: {
        ingressClass: release,
        namespaces: [release],
        // A Service with no ready pod answers 503 (a pod being replaced), not 404 as if the path
        // were unknown: a client retries the one and believes the other.
        allowEmptyServices: true,
      },
      file: { filename: dynamic },
    },
    log: { level: 'ERROR' },
    global: { checkNewVersion: false, sendAnonymousUsage: false },
  };
  writeFileSync(config, JSON.stringify(staticConfig, null, 2));
  return { command: traefik, args: [`--configFile=${config}`], env: { KUBECONFIG: kubeconfig } };
}
