import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { containerServers, nodejsRunnerBuilt, servicesBuilt } from './containers.js';
import { startKubernetesIngress } from './ingress.js';
import { eventually } from './eventually.js';
import { ROOT, type Started } from './processes.js';
import { bearerOf, bootstrap, cliFor, createNodejsImage, withServerLog, type Session } from './session.js';

/**
 * Dispatch installed with its Helm chart on the real single-node Kubernetes of tools/k8s.js, as an
 * operator would install it: the images built here and put on the node (no registry), the test etcd
 * and Kafka as the external ones (each installation under its own etcd prefix), a bootstrap key, and
 * the sandboxes' settings for a runtime without user namespaces. The API is reached through the
 * chart's Ingress, served by an ingress controller of the installation's own (Traefik, see
 * tools/lib/k8s-ingress.js); the CLI and the first administrator as for the other shapes.
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

/** An installation of the chart: its release and namespace, and where its ingress answers. */
interface Installation {
  release: string;
  kubeconfig: string;
  /** Its first administrator (in org `default`, with a global policy): it makes each shared session's org. */
  administrator: { account: string; keyFile: string };
  ingressPort: number;
  /** Where the ingress serves HTTPS (a self-signed certificate; TLS ends there, as at an Ingress). */
  tlsUrl: string;
  /** Where its data volume lives on the node (a hostPath volume of tools/k8s.js). */
  dataDir: string;
  /** Its files on this machine: values, keys, and the ingress controller's files and pid under `ingress/`. */
  dir: string;
  /** The values it was installed with, as helm arguments (an upgrade passes them again). */
  values: string[];
}

/**
 * Where the installation the suites share is recorded. A Helm install takes a minute or two on this
 * node, so the suites that only use the API share one (each in an org of its own, as tenants share
 * a platform); those that upgrade, uninstall or kill pods install their own. e2e/global-teardown.mjs
 * uninstalls it when the run ends.
 */
export const SHARED_INSTALLATION = join(ROOT, '.cache/e2e-kubernetes/shared.json');

function clients(kubeconfig: string) {
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  const kubectl = (args: string[], input?: string) =>
    execFileSync(join(nodeTool('bin'), 'kubectl'), args, { env, input, encoding: 'utf8', stdio: 'pipe' });
  const helm = (args: string[]) =>
    execFileSync(process.execPath, [join(ROOT, 'tools/helm.js'), ...args], {
      env,
      encoding: 'utf8',
      timeout: 600_000,
    });
  return { env, kubectl, helm };
}

/**
 * Removes an installation: its ingress, its release, its namespace and its data (its volume goes back
 * to the node for the next installation: `tools/k8s.js uninstall`).
 */
function uninstall(installation: Pick<Installation, 'release' | 'dir'>): void {
  stopDetachedIngress(join(installation.dir, 'ingress'));
  nodeTool('uninstall', installation.release);
  rmSync(installation.dir, { recursive: true, force: true });
}

function stopDetachedIngress(dir: string): void {
  try {
    process.kill(Number(readFileSync(join(dir, 'ingress.pid'), 'utf8').trim()), 'SIGTERM');
  } catch {
    // not running
  }
}

/**
 * Installs the chart in a namespace of its own, as an operator would, starts the controller of its
 * Ingress and bootstraps its first administrator. A shared installation's controller is detached from
 * this test file, since later files use it too.
 */
async function install(
  kubeconfig: string,
  shared: boolean,
  extraValues: string[] = [],
): Promise<{ installation: Installation; ingress?: Started }> {
  const release = `dispatch-${randomBytes(3).toString('hex')}`;
  const { kubectl, helm } = clients(kubeconfig);
  const bootstrapKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = mkdtempSync(join(tmpdir(), `${release}-`));
  writeFileSync(join(dir, 'bootstrap.pub'), bootstrapKey.publicKey.export({ type: 'spki', format: 'pem' }));
  // The chart's values for this node (tools/k8s.js): images, etcd and Kafka, storage, sandboxes, CAs.
  // The operator's driver programs are the keys of a ConfigMap the chart mounts into the events pods.
  const values = [
    '-f',
    nodeTool('values', join(dir, 'values.json'), release, join(dir, 'bootstrap.pub')),
    '--set',
    `events.driverProgramsConfigMap=${programsOf(release)}`,
    ...extraValues,
  ];
  const ingressDir = join(dir, 'ingress');
  try {
    kubectl(['create', 'namespace', release]);
    kubectl(['create', 'configmap', programsOf(release), '-n', release]);
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
    // The chart's Ingress (IngressClass named after the release), served by its own controller.
    const { port, controller, tlsUrl } = await startKubernetesIngress(ingressDir, release, {
      detached: shared,
    });
    const operator = cliFor(port, dir, ['--organization', 'default'], join(dir, 'config.json'));
    const keyFile = await bootstrap(operator, dir, 'default', bootstrapKey.privateKey);
    const installation: Installation = {
      release,
      kubeconfig,
      administrator: { account: 'default/admin', keyFile },
      ingressPort: port,
      tlsUrl,
      dataDir: volumeOf(kubectl, release),
      dir,
      values,
    };
    return { installation, ingress: shared ? undefined : controller };
  } catch (err) {
    const pods = spawnSync(join(nodeTool('bin'), 'kubectl'), ['get', 'pods,events', '-n', release], {
      env: clients(kubeconfig).env,
      encoding: 'utf8',
    }).stdout;
    uninstall({ release, dir });
    throw new Error(`${(err as Error).message}\n${pods}`);
  }
}

/** The ConfigMap of the release's event-driver programs. */
const programsOf = (release: string) => `${release}-driver-programs`;

/**
 * Event-driver programs as an operator gives them on Kubernetes: keys of the ConfigMap the events pods
 * mount (events.driverProgramsConfigMap); each change is awaited until every events pod sees it.
 */
function driverProgramsOn(
  kubectl: (args: string[], input?: string) => string,
  release: string,
): Pick<Session, 'installDriverProgram' | 'removeDriverProgram'> {
  const seen = async (name: string, present: boolean) => {
    const pods = kubectl([
      'get',
      'pods',
      '-n',
      release,
      '-l',
      'app.kubernetes.io/component=events',
      '-o',
      'jsonpath={.items[*].metadata.name}',
    ])
      .split(' ')
      .filter(Boolean);
    await eventually(
      `driver program ${name} ${present ? 'in' : 'out of'} the events pods`,
      async () => {
        const sees = pods.map((pod) => {
          try {
            kubectl([
              'exec',
              '-n',
              release,
              pod,
              '--',
              'test',
              '-e',
              `/etc/dispatch/driver-programs/${name}`,
            ]);
            return true;
          } catch {
            return false;
          }
        });
        return sees.every((s) => s === present) ? true : undefined;
      },
      120_000,
      1000,
    );
  };
  const patch = (type: 'merge' | 'json', change: unknown) =>
    kubectl([
      'patch',
      'configmap',
      programsOf(release),
      '-n',
      release,
      '--type',
      type,
      '-p',
      JSON.stringify(change),
    ]);
  return {
    installDriverProgram: async (name, text) => {
      patch('merge', { data: { [name]: text } });
      await seen(name, true);
    },
    removeDriverProgram: async (name) => {
      patch('json', [{ op: 'remove', path: `/data/${name}` }]);
      await seen(name, false);
    },
  };
}

/** What the ingress controller printed: its own output, or its log file when it is detached. */
function ingressLog(installation: Installation, ingress?: Started): string {
  if (ingress) return ingress.output();
  const file = join(installation.dir, 'ingress', 'ingress.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

/** The last lines of each pod of the release (functions' own pods left out). */
function podLogs(kubectl: (args: string[]) => string, release: string): string {
  try {
    const pods = kubectl(['get', 'pods', '-n', release, '-l', 'app.kubernetes.io/instance', '-o', 'name'])
      .split('\n')
      .filter(Boolean);
    return pods
      .map((pod) => {
        try {
          return `--- ${pod}\n${kubectl(['logs', '-n', release, pod, '--tail=15'])}`;
        } catch (err) {
          return `--- ${pod}: ${(err as Error).message}`;
        }
      })
      .join('\n');
  } catch (err) {
    return `(no pod logs: ${(err as Error).message})`;
  }
}

/** The node's directory behind the release's data claim. */
function volumeOf(kubectl: (args: string[]) => string, release: string): string {
  const volume = kubectl([
    'get',
    'pvc',
    `${release}-data`,
    '-n',
    release,
    '-o',
    'jsonpath={.spec.volumeName}',
  ]);
  return kubectl(['get', 'pv', volume, '-o', 'jsonpath={.spec.hostPath.path}']);
}

/** The shared installation when it still answers on this node, or a new one recorded for the next suite. */
async function sharedInstallation(kubeconfig: string): Promise<Installation> {
  if (existsSync(SHARED_INSTALLATION)) {
    const recorded = JSON.parse(readFileSync(SHARED_INSTALLATION, 'utf8')) as Installation;
    const answers = await fetch(`http://127.0.0.1:${recorded.ingressPort}/v1/version`).then(
      (r) => r.ok,
      () => false,
    );
    if (recorded.kubeconfig === kubeconfig && answers) return recorded;
    // Left by a run that did not end (or by another node): it goes, and a new one takes its place.
    uninstall(recorded);
    rmSync(SHARED_INSTALLATION, { force: true });
  }
  const { installation } = await install(kubeconfig, true);
  mkdirSync(dirname(SHARED_INSTALLATION), { recursive: true });
  writeFileSync(SHARED_INSTALLATION, JSON.stringify(installation, null, 2), { mode: 0o600 });
  return installation;
}

/**
 * A session on the chart installed on the node: with `shared`, in an org of its own on the
 * installation the suites share; otherwise on an installation of its own (in org `default`), which it
 * uninstalls when it stops, installed with `values` (helm arguments) too. With `functionPods`, its
 * functions run as pods of the nodejs runner's image (functions.runtime=kubernetes), which is built and
 * put on the node first.
 */
export async function startKubernetesSession(
  name: string,
  {
    shared = false,
    values = [],
    functionPods = false,
  }: { shared?: boolean; values?: string[]; functionPods?: boolean } = {},
): Promise<KubernetesSession> {
  const kubeconfig = await kubernetesNode();
  if (functionPods) {
    await nodejsRunnerBuilt();
    nodeTool('import', `localhost/dispatch-runner-nodejs:${IMAGE_TAG}`);
  }
  // Pods reach etcd and Kafka where containers do: fails clearly when they were not started for them.
  containerServers();
  const work = mkdtempSync(join(tmpdir(), `dispatch-${name}-`));
  const { kubectl, helm } = clients(kubeconfig);
  const own = shared
    ? undefined
    : await install(kubeconfig, false, [
        ...(functionPods ? ['--set', 'functions.runtime=kubernetes'] : []),
        ...values,
      ]);
  const installation = own?.installation ?? (await sharedInstallation(kubeconfig));
  const { release, ingressPort } = installation;
  const stop = async () => {
    if (own) {
      await own.ingress?.stop();
      uninstall(own.installation);
    }
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const org = shared ? `e2e-${randomBytes(4).toString('hex')}` : 'default';
    const config = join(work, 'config.json');
    // Behind a 502 or a 500: what the ingress said, and the last lines of every pod of the release.
    const dispatch = withServerLog(cliFor(ingressPort, work, ['--organization', org], config), () =>
      [podLogs(kubectl, release), ingressLog(installation, own?.ingress)].join('\n'),
    );
    const { administrator } = installation;
    let adminKey = administrator.keyFile;
    if (shared) adminKey = await bootstrap(dispatch, work, org, administrator);
    else {
      const login = ['login', '--service-account', 'admin', '--jwt-private-key', administrator.keyFile];
      const out = await dispatch(login);
      if (out.code !== 0) throw new Error(`dispatch ${login.join(' ')}: ${out.stderr}`);
    }
    const ingress = `http://127.0.0.1:${ingressPort}`;
    return {
      release,
      kubectl: (args, input) => kubectl(['-n', release, ...args], input),
      helm,
      values: installation.values,
      org,
      work,
      dataDir: installation.dataDir,
      ...driverProgramsOn(kubectl, release),
      api: ingress,
      dispatch,
      nodejsImage: (cliArgs = []) => createNodejsImage(dispatch, cliArgs),
      gateway: { http: ingress, https: installation.tlsUrl },
      authorization: (signer) => bearerOf(`${org}/admin`, adminKey, signer),
      write: (file, text) => {
        writeFileSync(join(work, file), text);
        return join(work, file);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
