import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerServers, servicesBuilt } from './containers.js';
import { startIngress } from './ingress.js';
import { ROOT, type Started } from './processes.js';
import { bearerOf, bootstrap, cliFor, createNodejsImage, type Session } from './session.js';

/**
 * Dispatch installed with its Helm chart on the real single-node Kubernetes of tools/k8s.js, as an
 * operator would install it: the images built here and put on the node (no registry), the test etcd
 * and Kafka as the external ones (each installation under its own etcd prefix), a bootstrap key, and
 * the sandboxes' settings for a runtime without user namespaces. The API is reached through nginx on
 * the host routing by the topology table to the Services' cluster addresses (kube-proxy's), as an
 * ingress would; the CLI and the first administrator as for the other shapes.
 */
export interface KubernetesSession extends Session {
  /** The Helm release, in a namespace of the same name. */
  release: string;
  kubectl(args: string[], input?: string): string;
  helm(args: string[]): string;
  /** The values it was installed with, as helm arguments (an upgrade passes them again). */
  values: string[];
}

const SERVICES = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'];
const IMAGE_TAG = '0.1.0';

function nodeTool(...args: string[]): string {
  const res = spawnSync(process.execPath, [join(ROOT, 'tools/k8s.js'), ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 1_200_000,
  });
  if (res.status !== 0) throw new Error(`tools/k8s.js ${args.join(' ')} failed:\n${res.stderr}`);
  return res.stdout.trim();
}

let node: Promise<string> | undefined;
/**
 * The node `npm test` started (K8S_KUBECONFIG), with the service images as they are now put on it
 * (once per suite: podman's layer cache and containerd's content store make a repeat quick).
 */
function kubernetesNode(): Promise<string> {
  node ??= (async () => {
    const kubeconfig = process.env['K8S_KUBECONFIG'];
    if (!kubeconfig)
      throw new Error('K8S_KUBECONFIG must be set: run `npm test`, or `node tools/k8s.js start`');
    await servicesBuilt();
    nodeTool('import', ...SERVICES.map((s) => `localhost/dispatch-${s}:${IMAGE_TAG}`));
    return kubeconfig;
  })();
  return node;
}

export async function startKubernetesSession(name: string): Promise<KubernetesSession> {
  const kubeconfig = await kubernetesNode();
  // Pods reach etcd and Kafka where containers do: fails clearly when they were not started for them.
  containerServers();
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const release = `dispatch-${randomBytes(3).toString('hex')}`;
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const kubectl = (args: string[], input?: string) =>
    execFileSync(join(nodeTool('bin'), 'kubectl'), args, { env, input, encoding: 'utf8' });
  const helm = (args: string[]) =>
    execFileSync(process.execPath, [join(ROOT, 'tools/helm.js'), ...args], {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    });
  const bootstrapKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(work, 'bootstrap.pub'), bootstrapKey.publicKey.export({ type: 'spki', format: 'pem' }));
  // The chart's values for this node (tools/k8s.js): images, etcd and Kafka, storage, sandboxes, CAs.
  const values = ['-f', nodeTool('values', join(work, 'values.json'), release, join(work, 'bootstrap.pub'))];
  const running: Started[] = [];
  const stop = async () => {
    await Promise.all(running.map((p) => p.stop()));
    spawnSync(
      process.execPath,
      [join(ROOT, 'tools/helm.js'), 'uninstall', release, '-n', release, '--wait'],
      {
        env,
      },
    );
    spawnSync(join(nodeTool('bin'), 'kubectl'), ['delete', 'namespace', release, '--wait=false'], { env });
    rmSync(work, { recursive: true, force: true });
  };
  try {
    helm([
      'install',
      release,
      join(ROOT, 'charts/dispatch'),
      '-n',
      release,
      '--create-namespace',
      '--wait',
      '--timeout',
      '8m',
      ...values,
    ]);
    // The ingress: nginx on the host, sending each path to its Service's cluster address.
    const address = (service: string) => {
      const svc = JSON.parse(
        kubectl(['get', 'service', `${release}-${service}`, '-n', release, '-o', 'json']),
      ) as {
        spec: { clusterIP: string; ports: { name: string; port: number }[] };
      };
      return (port = 'http') =>
        `http://${svc.spec.clusterIP}:${svc.spec.ports.find((p) => p.name === port)?.port}`;
    };
    const services = Object.fromEntries(SERVICES.map((s) => [s, [address(s)()]]));
    const {
      url: ingress,
      port: ingressPort,
      nginx,
    } = await startIngress(join(work, 'ingress'), services, address('api-gateway')('gateway'));
    running.push(nginx);
    const org = 'default';
    const config = join(work, 'config.json');
    const dispatch = cliFor(ingressPort, work, ['--organization', org], config);
    const adminKey = await bootstrap(dispatch, work, org, bootstrapKey.privateKey);
    return {
      release,
      kubectl: (args, input) => kubectl(['-n', release, ...args], input),
      helm,
      values,
      org,
      work,
      dataDir: '/var/lib/dispatch',
      api: ingress,
      dispatch,
      nodejsImage: (cliArgs = []) => createNodejsImage(dispatch, cliArgs),
      gateway: { http: ingress, https: 'https://127.0.0.1:1' },
      authorization: () => bearerOf(`${org}/admin`, adminKey),
      write: (file, text) => {
        writeFileSync(join(work, file), text);
        return join(work, file);
      },
      stop,
    };
  } catch (err) {
    const pods = spawnSync(join(nodeTool('bin'), 'kubectl'), ['get', 'pods,events', '-n', release], {
      env,
      encoding: 'utf8',
    }).stdout;
    await stop();
    throw new Error(`${(err as Error).message}\n${pods}`);
  }
}
