import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { peerUrlVariable, SERVICES, TOPOLOGY } from '@dispatch/contracts';
import { ROOT } from './processes.js';

/**
 * deploy/ and charts/dispatch, checked as CI can without a container engine or a cluster. The
 * Dockerfiles are parsed and linted by the parser of the Docker language server; the chart: `helm lint --strict`, and every manifest
 * `helm template` renders validated against the Kubernetes API schemas (kubernetes-models, generated
 * from the Kubernetes OpenAPI specification), for the default values and for an installation on
 * external etcd and Kafka with an OpenID provider.
 */
const CHART = join(ROOT, 'charts/dispatch');
const helm = (...args: string[]) =>
  execFileSync(process.execPath, [join(ROOT, 'tools/helm.js'), ...args], { encoding: 'utf8', stdio: 'pipe' });

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

function render(...set: string[]): Manifest[] {
  const args = set.flatMap((s) => ['--set', s]);
  return parseAllDocuments(helm('template', 'dispatch', CHART, '--namespace', 'dispatch', ...args))
    .map((d) => d.toJSON() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** Throws with the schema's complaint when a manifest is not a valid object of its kind. */
async function validate(manifest: Manifest): Promise<void> {
  const group = manifest.apiVersion.includes('/') ? manifest.apiVersion : `v1`;
  const module = (await import(`kubernetes-models/${group}/${manifest.kind}`)) as Record<
    string,
    new (data: unknown) => { validate(): void }
  >;
  const Model = module[manifest.kind] as new (data: unknown) => { validate(): void };
  try {
    new Model(manifest).validate();
  } catch (err) {
    throw new Error(`${manifest.kind} ${manifest.metadata.name}: ${(err as Error).message}`);
  }
}

describe('the Helm chart', () => {
  beforeAll(() => {
    helm('version'); // builds helm from its Go module on first use
  }, 600_000);

  it('passes helm lint --strict', () => {
    expect(helm('lint', '--strict', CHART)).toContain('0 chart(s) failed');
    expect(
      helm(
        'lint',
        '--strict',
        CHART,
        '--set',
        'etcd.endpoints={http://etcd:2379}',
        '--set',
        'kafka.brokers={kafka:9092}',
      ),
    ).toContain('0 chart(s) failed');
  });

  it('renders valid Kubernetes objects: a Deployment and Service per service, probes, limits, non-root', async () => {
    const manifests = render('identity.bootstrapPublicKey=-----BEGIN PUBLIC KEY-----');
    for (const manifest of manifests) await validate(manifest);
    const named = (kind: string) => manifests.filter((m) => m.kind === kind).map((m) => m.metadata.name);
    expect(named('Deployment').sort()).toEqual(SERVICES.map((s) => `dispatch-${s}`).sort());
    expect(named('Service')).toEqual(expect.arrayContaining(SERVICES.map((s) => `dispatch-${s}`)));
    expect(named('StatefulSet').sort()).toEqual(['dispatch-etcd', 'dispatch-kafka', 'dispatch-postgres']);
    expect(named('Ingress')).toEqual(['dispatch', 'dispatch-endpoints']);
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      const pod = (deployment.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
        securityContext: { runAsNonRoot: boolean };
        containers: {
          readinessProbe: { httpGet: { path: string } };
          livenessProbe: { httpGet: { path: string } };
          resources: { requests: Record<string, string>; limits: Record<string, string> };
          securityContext: { readOnlyRootFilesystem: boolean };
        }[];
      };
      const [container] = pod.containers;
      expect({ name: deployment.metadata.name, ready: container?.readinessProbe.httpGet.path }).toEqual({
        name: deployment.metadata.name,
        ready: '/readyz',
      });
      expect(container?.livenessProbe.httpGet.path).toBe('/healthz');
      expect(container?.resources.requests).toEqual(expect.objectContaining({ cpu: expect.any(String) }));
      expect(container?.resources.limits).toEqual(expect.objectContaining({ memory: expect.any(String) }));
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      expect(container?.securityContext.readOnlyRootFilesystem).toBe(true);
    }
    const secret = manifests.find((m) => m.kind === 'Secret') as Manifest;
    const key = Buffer.from(secret.data?.['secrets-key'] ?? '', 'base64').toString();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
  });

  it('lets the pods that run tenant code make sandboxes, and none other', () => {
    const pods = Object.fromEntries(
      render()
        .filter((m) => m.kind === 'Deployment')
        .map((m) => [
          m.metadata.name.replace('dispatch-', ''),
          (m.spec as { template: { spec: Record<string, unknown> } }).template.spec,
        ]),
    );
    const sandboxed = Object.keys(pods).filter((service) => pods[service]?.['hostUsers'] === false);
    expect(sandboxed.sort()).toEqual(['events', 'functions', 'images']);
    const functions = pods['functions'] as {
      containers: { securityContext: Record<string, unknown>; volumeMounts: { mountPath: string }[] }[];
    };
    const container = functions.containers[0];
    expect(container?.securityContext).toMatchObject({
      procMount: 'Unmasked',
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container?.volumeMounts.map((m) => m.mountPath)).toContain('/dev/net/tun');
    // No NetworkPolicy for function pods when there are none.
    expect(render().filter((m) => m.kind === 'NetworkPolicy')).toEqual([]);
  });

  it('routes the API paths to the services the topology table names, as the local ingress does', () => {
    // The API's routes, and the endpoints' catch-all in an Ingress of its own.
    const paths = render()
      .filter((m) => m.kind === 'Ingress')
      .flatMap((ingress) =>
        (
          ingress.spec as {
            rules: {
              http: { paths: { path: string; pathType: string; backend: { service: { name: string } } }[] };
            }[];
          }
        ).rules
          .flatMap((rule) => rule.http.paths)
          .map((p) => [p.path, p.pathType, p.backend.service.name.replace('dispatch-', '')]),
      );
    const table = SERVICES.flatMap((service) => [
      ...TOPOLOGY[service].routes.map((route) => [route, 'Prefix', service]),
      ...(TOPOLOGY[service].exactRoutes ?? []).map((route) => [route, 'Exact', service]),
    ]);
    expect(paths?.filter(([path]) => path !== '/').sort()).toEqual(table.sort());
    expect(paths).toContainEqual(['/', 'Prefix', 'api-gateway']);
    const local = JSON.parse(
      execFileSync(process.execPath, [join(ROOT, 'tools/nginx.js'), 'routes']).toString(),
    ) as Record<'prefix' | 'exact', Record<string, string[]>>;
    const routed = (kind: 'prefix' | 'exact', pathType: string) =>
      Object.entries(local[kind]).flatMap(([service, routes]) => routes.map((r) => [r, pathType, service]));
    expect([...routed('prefix', 'Prefix'), ...routed('exact', 'Exact')].sort()).toEqual(table.sort());
  });

  it("gives each service the table's port, and the addresses of the peers the table names", () => {
    const manifests = render();
    for (const service of SERVICES) {
      const name = `dispatch-${service}`;
      const svc = manifests.find((m) => m.kind === 'Service' && m.metadata.name === name) as Manifest;
      const ports = (svc.spec as { ports: { name: string; port: number }[] }).ports;
      expect([service, ports.find((p) => p.name === 'http')?.port]).toEqual([
        service,
        TOPOLOGY[service].port,
      ]);
      const deployment = manifests.find(
        (m) => m.kind === 'Deployment' && m.metadata.name === name,
      ) as Manifest;
      const container = (
        deployment.spec as {
          template: { spec: { containers: { env?: { name: string; value?: string }[] }[] } };
        }
      ).template.spec.containers[0];
      const env = new Map((container?.env ?? []).map((e) => [e.name, e.value]));
      expect([service, env.get('DISPATCH_PORT')]).toEqual([service, String(TOPOLOGY[service].port)]);
    }
    const config = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'dispatch') as
      (Manifest & { data: Record<string, string> }) | undefined;
    for (const peer of new Set(SERVICES.flatMap((service) => TOPOLOGY[service].peers)))
      expect([peerUrlVariable(peer), config?.data[peerUrlVariable(peer)]]).toEqual([
        peerUrlVariable(peer),
        `http://dispatch-${peer}:${TOPOLOGY[peer].port}`,
      ]);
  });

  it('uses external etcd, Kafka and PostgreSQL, and an OpenID provider, when given', async () => {
    const manifests = render(
      'etcd.endpoints={http://etcd-a:2379,http://etcd-b:2379}',
      'etcd.namespace=/dispatch-prod/',
      'kafka.brokers={kafka-0:9092}',
      'postgres.existingSecret=dispatch-runs-db',
      'postgres.schema=prod',
      'identity.oidc.issuer=https://login.example.com',
      'identity.oidc.clientId=dispatch',
      'identity.oidc.existingSecret=dispatch-oidc',
      'ingress.enabled=false',
    );
    for (const manifest of manifests) await validate(manifest);
    expect(manifests.filter((m) => m.kind === 'StatefulSet' || m.kind === 'Ingress')).toEqual([]);
    expect(manifests.find((m) => m.kind === 'ConfigMap')?.data).toMatchObject({
      DISPATCH_ETCD_ENDPOINTS: 'http://etcd-a:2379,http://etcd-b:2379',
      DISPATCH_ETCD_NAMESPACE: '/dispatch-prod/',
      DISPATCH_KAFKA_BROKERS: 'kafka-0:9092',
      DISPATCH_OIDC_ISSUER: 'https://login.example.com',
    });
    // Only the functions service reaches the runs database, its URL (with the password) from a Secret.
    const envOf = (service: string) =>
      (
        manifests.find(
          (m) => m.kind === 'Deployment' && m.metadata.name === `dispatch-${service}`,
        ) as unknown as {
          spec: { template: { spec: { containers: { env: Record<string, unknown>[] }[] } } };
        }
      ).spec.template.spec.containers[0]?.env ?? [];
    expect(envOf('functions')).toEqual(
      expect.arrayContaining([
        {
          name: 'DISPATCH_POSTGRES_URL',
          valueFrom: { secretKeyRef: { name: 'dispatch-runs-db', key: 'url' } },
        },
        { name: 'DISPATCH_POSTGRES_SCHEMA', value: 'prod' },
      ]),
    );
    for (const service of SERVICES.filter((s) => s !== 'functions'))
      expect(envOf(service).map((e) => e['name'])).not.toContain('DISPATCH_POSTGRES_URL');
    // A URL given as a value is kept in the chart's Secret, never in the Deployment.
    const withUrl = render('postgres.url=postgres://dispatch:s3cret@db.example.com/dispatch');
    expect(withUrl.filter((m) => m.kind === 'StatefulSet').map((m) => m.metadata.name)).not.toContain(
      'dispatch-postgres',
    );
    expect(JSON.stringify(withUrl.filter((m) => m.kind !== 'Secret'))).not.toContain('s3cret');
    expect(() => render('postgres.bundled.enabled=false')).toThrow(
      /postgres: give postgres.url or postgres.existingSecret, or set postgres.bundled.enabled/,
    );
    expect(() => render('identity.oidc.issuer=https://login.example.com')).toThrow(
      /identity.oidc.clientId is required/,
    );
  });

  it("gives the events service the operator's driver programs from a ConfigMap, and trusts the ingress's protocol", async () => {
    const manifests = render('events.driverProgramsConfigMap=drivers');
    for (const manifest of manifests) await validate(manifest);
    const pod = (component: string) => {
      const deployment = manifests.find(
        (m) => m.kind === 'Deployment' && m.metadata.name === `dispatch-${component}`,
      ) as unknown as { spec: { template: { spec: PodSpec } } };
      return deployment.spec.template.spec;
    };
    type PodSpec = {
      volumes: { name: string; configMap?: { name: string; defaultMode: number } }[];
      containers: {
        env: { name: string; value?: string }[];
        volumeMounts: { name: string; mountPath: string }[];
      }[];
    };
    const events = pod('events');
    expect(events.volumes).toContainEqual({
      name: 'driver-programs',
      configMap: { name: 'drivers', defaultMode: 0o555 },
    });
    expect(events.containers[0]?.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'driver-programs', mountPath: '/etc/dispatch/driver-programs' }),
    );
    expect(events.containers[0]?.env).toContainEqual({
      name: 'DISPATCH_DRIVER_PROGRAMS',
      value: '/etc/dispatch/driver-programs',
    });
    expect(pod('functions').volumes.map((v) => v.name)).not.toContain('driver-programs');
    expect(pod('api-gateway').containers[0]?.env).toContainEqual({
      name: 'DISPATCH_GATEWAY_FORWARDED_PROTO',
      value: 'true',
    });
  });

  it('runs functions as Kubernetes workloads when asked, with only the rights that needs', async () => {
    const manifests = render('functions.runtime=kubernetes', 'image.pullSecrets[0].name=registry');
    for (const manifest of manifests) await validate(manifest);
    const functions = manifests.find(
      (m) => m.kind === 'Deployment' && m.metadata.name === 'dispatch-functions',
    );
    const pod = (functions?.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod['serviceAccountName']).toBe('dispatch-functions');
    const env = Object.fromEntries(
      ((pod['containers'] as { env: { name: string; value?: string }[] }[])[0]?.env ?? []).map((e) => [
        e.name,
        e.value,
      ]),
    );
    expect(env).toMatchObject({
      DISPATCH_FUNCTIONS_RUNTIME: 'kubernetes',
      DISPATCH_KUBERNETES_RUNNER_IMAGE: 'ghcr.io/dispatch/dispatch-runner-{language}:0.1.0',
      DISPATCH_KUBERNETES_DATA_CLAIM: 'dispatch-data',
      DISPATCH_KUBERNETES_IMAGE_PULL_SECRETS: 'registry',
      DISPATCH_KUBERNETES_IDLE_SECONDS: '300',
    });
    expect(
      manifests.some((m) => m.kind === 'PersistentVolumeClaim' && m.metadata.name === 'dispatch-data'),
    ).toBe(true);
    // Deployments, their scale and Services in its namespace, and reading pods: nothing cluster-wide.
    const role = manifests.find((m) => m.kind === 'Role') as unknown as {
      rules: { resources: string[]; verbs: string[] }[];
    };
    expect(role.rules.flatMap((r) => r.resources).sort()).toEqual([
      'deployments',
      'deployments/scale',
      'pods',
      'services',
    ]);
    expect(role.rules.find((r) => r.resources.includes('pods'))?.verbs).toEqual(['get', 'list', 'watch']);
    expect(manifests.filter((m) => m.kind === 'ClusterRole' || m.kind === 'ClusterRoleBinding')).toEqual([]);
    // The other services get no API credentials at all.
    const others = manifests.filter(
      (m) => m.kind === 'Deployment' && m.metadata.name !== 'dispatch-functions',
    );
    for (const other of others)
      expect(
        (other.spec as { template: { spec: Record<string, unknown> } }).template.spec[
          'automountServiceAccountToken'
        ],
      ).toBe(false);
    // Function pods (labelled so by libs/runtime workload.ts) take calls from the functions service only,
    // and reach DNS and the internet but no private range: not etcd, Kafka, the services or each other.
    const policy = manifests.find((m) => m.kind === 'NetworkPolicy') as unknown as {
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: { from: { podSelector: { matchLabels: Record<string, string> } }[] }[];
        egress: { to: { ipBlock?: { cidr: string; except: string[] } }[]; ports?: { port: number }[] }[];
      };
    };
    expect(policy.spec.podSelector.matchLabels).toEqual({
      'app.kubernetes.io/managed-by': 'dispatch-functions',
      'app.kubernetes.io/component': 'function',
    });
    expect(policy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(policy.spec.ingress.flatMap((rule) => rule.from.map((f) => f.podSelector.matchLabels))).toEqual([
      expect.objectContaining({ 'app.kubernetes.io/component': 'functions' }),
    ]);
    const open = policy.spec.egress.flatMap((rule) =>
      rule.to.flatMap((to) => (to.ipBlock ? [to.ipBlock] : [])),
    );
    expect(open).toEqual([
      {
        cidr: '0.0.0.0/0',
        except: expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '169.254.0.0/16']),
      },
    ]);
    expect(policy.spec.egress.filter((rule) => !rule.ports).length).toBe(1);
    // Functions in their own pods: the functions pod still compiles java sources in a sandbox.
    expect(pod['hostUsers']).toBe(false);
    expect(() => render('functions.runtime=lambda')).toThrow(
      /functions.runtime: must be process or kubernetes/,
    );
  });
});

describe('the service and runner images', () => {
  const services = ['deploy/service.Dockerfile', 'deploy/toolchains.Dockerfile'];
  const runners = ['nodejs', 'python3', 'java'].map((language) => `deploy/runners/${language}.Dockerfile`);

  it.each([...services, ...runners])('%s is valid and runs as an unprivileged user', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    expect(lintDockerfile(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    const dockerfile = DockerfileParser.parse(text);
    // The services compile in a build stage and keep only what runs; so does the java runner.
    if (services.includes(file) || file.endsWith('java.Dockerfile'))
      expect(dockerfile.getFROMs().length).toBeGreaterThanOrEqual(2);
    const instructions = dockerfile.getInstructions();
    // The services that run tenants' code carry the sandbox they run it in.
    if (services.includes(file)) expect(text).toMatch(/apt-get install[^&]*bubblewrap slirp4netns/);
    const lastFrom = instructions.map((i) => i.getKeyword()).lastIndexOf('FROM');
    const users = instructions.slice(lastFrom).filter((i) => i.getKeyword() === 'USER');
    expect(users.map((u) => u.getArgumentsContent())).toEqual(['10001:10001']);
    // What the build stage copies from the context exists, and the context's ignore file keeps local
    // builds out of it.
    for (const copy of dockerfile.getCOPYs().filter((c) => !c.getFromFlag())) {
      const sources = (copy.getArgumentsContent() ?? '').split(/\s+/).slice(0, -1);
      for (const source of sources)
        expect({ source, exists: existsSync(join(ROOT, source)) }).toEqual({ source, exists: true });
    }
    expect(readFileSync(join(ROOT, '.dockerignore'), 'utf8')).toMatch(/\*\*\/node_modules[\s\S]*\*\*\/dist/);
  });

  it.each(runners)('%s serves the runner protocol on 8080 in container mode', (file) => {
    const dockerfile = DockerfileParser.parse(readFileSync(join(ROOT, file), 'utf8'));
    const env = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'ENV')
      .map((i) => i.getArgumentsContent() ?? '')
      .join(' ');
    expect(env).toContain('DISPATCH_RUNNER_PORT=8080');
    expect(env).toContain('DISPATCH_FUNCTION_CODE_DIR=/function/code');
    // No unix socket: the runner's container mode, which loads the function from its environment.
    expect(env).not.toContain('DISPATCH_RUNNER_SOCKET');
    expect(
      dockerfile
        .getInstructions()
        .some((i) => i.getKeyword() === 'EXPOSE' && i.getArgumentsContent() === '8080'),
    ).toBe(true);
  });

  it("offers Prometheus Operator's ServiceMonitor for every service's metrics, with the release's token", () => {
    expect(render().filter((m) => m.kind === 'ServiceMonitor')).toEqual([]);
    const manifests = render('metrics.serviceMonitor.enabled=true', 'metrics.serviceMonitor.labels.team=ops');
    const [monitor, ...more] = manifests.filter((m) => m.kind === 'ServiceMonitor');
    expect(more).toEqual([]);
    const spec = monitor?.spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: {
        port: string;
        path: string;
        authorization: { credentials: { name: string; key: string } };
      }[];
    };
    expect(monitor?.metadata.labels).toMatchObject({ team: 'ops' });
    expect(spec.endpoints).toEqual([
      expect.objectContaining({
        port: 'http',
        path: '/metrics',
        authorization: { type: 'Bearer', credentials: { name: 'dispatch', key: 'metrics-token' } },
      }),
    ]);
    // It selects the Service of every Dispatch service, each with its http port.
    const selected = manifests.filter(
      (m) =>
        m.kind === 'Service' &&
        Object.entries(spec.selector.matchLabels).every(([k, v]) => m.metadata.labels?.[k] === v) &&
        (m.spec as { ports: { name: string }[] }).ports.some((p) => p.name === 'http'),
    );
    expect(selected.map((m) => m.metadata.name)).toEqual(
      expect.arrayContaining(SERVICES.map((s) => `dispatch-${s}`)),
    );
    const secret = manifests.find((m) => m.kind === 'Secret' && m.metadata.name === 'dispatch');
    expect(secret?.data?.['metrics-token']).toBeTruthy();
  });

  it("sends every service's spans to the collector an operator names, and none without one", () => {
    const configOf = (manifests: Manifest[]) =>
      manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'dispatch')?.data ?? {};
    expect(Object.keys(configOf(render())).filter((k) => k.startsWith('OTEL_'))).toEqual([]);
    const traced = render(
      'tracing.otlpEndpoint=http://otel-collector.observability:4318',
      'tracing.sampler=parentbased_traceidratio',
      'tracing.samplerArg=0.1',
    );
    expect(configOf(traced)).toMatchObject({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability:4318',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
    });
    // Every service reads the ConfigMap.
    const deployments = traced.filter((m) => m.kind === 'Deployment' && m.metadata.name !== 'dispatch-etcd');
    for (const d of deployments.filter((m) => SERVICES.some((s) => m.metadata.name === `dispatch-${s}`))) {
      const containers = (d.spec as { template: { spec: { containers: { envFrom?: unknown[] }[] } } })
        .template.spec.containers;
      expect(containers[0]?.envFrom).toEqual([{ configMapRef: { name: 'dispatch' } }]);
    }
  });

  it('serves the console at /ui through api-gateway, which reaches every service, at the address an operator names', () => {
    const configOf = (manifests: Manifest[]) =>
      manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'dispatch')?.data ?? {};
    const plain = configOf(render());
    expect(plain['DISPATCH_CONSOLE_URL']).toBeUndefined();
    // The console forwards each call to the service owning its path: every service's address is there.
    for (const service of SERVICES)
      expect([service, plain[peerUrlVariable(service)]]).toEqual([
        service,
        `http://dispatch-${service}:${TOPOLOGY[service].port}`,
      ]);
    const named = configOf(render('console.publicUrl=https://dispatch.example.com'));
    expect(named['DISPATCH_CONSOLE_URL']).toBe('https://dispatch.example.com');
  });

  it('builds every service the chart deploys: each is an app of the workspace', () => {
    const deployed = render()
      .filter((m) => m.kind === 'Deployment')
      .map((m) => m.metadata.name.replace('dispatch-', ''));
    expect(deployed.filter((service) => !existsSync(join(ROOT, 'apps', service, 'src/main.ts')))).toEqual([]);
  });
});
