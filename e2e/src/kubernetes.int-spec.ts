import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { acknowledgingClient } from './acknowledged.js';
import { eventually } from './eventually.js';
import { startExecutionCounter, type ExecutionCounter } from './execution-counter.js';
import { startKubernetesSession, type KubernetesSession } from './kubernetes-session.js';
import { SHAPES } from './shapes.js';

/**
 * The chart on a real single-node Kubernetes (tools/k8s.js): installed with `helm install`, its
 * functions as pods of their own (functions.runtime=kubernetes), used through the CLI and the ingress,
 * a function scaled to zero and back, a pod killed, a pod of each service deleted during a stream of calls, a value
 * changed with `helm upgrade`, then `helm uninstall`. This suite installs its own release; the suites
 * declared with inEachShape share another (their `kubernetes` shape).
 */
const onKubernetes = SHAPES.includes('kubernetes') ? describe : describe.skip;

interface Run {
  name: string;
  status: string;
  output: unknown;
  event?: Record<string, unknown> | null;
}

onKubernetes('Dispatch installed with its chart on Kubernetes', () => {
  let session: KubernetesSession;
  let counter: ExecutionCounter;
  const must = async (args: string[], stdin?: string) => {
    const out = await session.dispatch(args, stdin);
    if (out.code !== 0) throw new Error(`dispatch ${args.join(' ')}: ${out.stderr}`);
    return out.stdout;
  };
  const runsOf = async (fn: string) => JSON.parse(await must(['get', 'runs', fn, '-o', 'json'])) as Run[];
  /** The pods of a service, by name, Ready or not, leaving out those on their way out. */
  const pods = (service: string) => {
    const list = JSON.parse(
      session.kubectl(['get', 'pods', '-l', `app.kubernetes.io/component=${service}`, '-o', 'json']),
    ) as { items: { metadata: { name: string; deletionTimestamp?: string } }[] };
    return list.items.filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
  };

  beforeAll(async () => {
    counter = await startExecutionCounter();
    // Functions run as pods here (functions.runtime=kubernetes), idle ones going to zero after 15 s,
    // and failing when no pod of theirs is ready within 30 s.
    session = await startKubernetesSession('k8s', {
      functionPods: true,
      values: [
        '--set',
        'functions.kubernetes.idleSeconds=15',
        '--set',
        'functions.kubernetes.readySeconds=30',
      ],
    });
    await session.nodejsImage();
    session.write(
      'hello.js',
      'module.exports = (context, input) => ({ hello: input.name, secret: context.secrets });\n',
    );
    await must(['create', 'secret', 'db', session.write('db.json', '{"password":"pw-on-kubernetes"}')]);
    await must([
      'create',
      'function',
      '--image',
      'nodejs',
      'hello',
      './hello.js',
      '--secret',
      'db',
      '--wait',
    ]);
  }, 1_500_000);

  afterAll(async () => {
    await session?.stop();
    await counter?.close();
  }, 300_000);

  it('runs a function with its secret, over the API and an endpoint through the ingress', async () => {
    const out = JSON.parse(await must(['exec', 'hello', '--input', '{"name":"pod"}'])) as {
      payload: unknown;
    };
    expect(out.payload).toEqual({ hello: 'pod', secret: { password: 'pw-on-kubernetes' } });
    await must(['create', 'endpoint', 'hello-ep', 'hello', '--method', 'GET', '--path', '/hello']);
    const answer = await eventually('the endpoint', async () => {
      const res = await fetch(`${session.gateway.http}/hello?name=ingress`);
      return res.status === 200 ? ((await res.json()) as { hello: string }) : undefined;
    });
    expect(answer.hello).toBe('ingress');
  }, 120_000);

  it('serves the web console at /ui through the ingress, from the api-gateway image', async () => {
    const page = await fetch(`${session.api}/ui/functions`, { headers: { 'accept-encoding': 'br' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const script = /src="(\/ui\/assets\/main-\w+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${session.api}${script}`, { headers: { 'accept-encoding': 'br' } });
    expect([asset.status, asset.headers.get('content-encoding')]).toEqual([200, 'br']);
    // Signed out, it says so and how one may sign in (no provider and no local administrator here).
    const signedOut = await fetch(`${session.api}/ui/session`);
    expect(signedOut.status).toBe(401);
    await expect(signedOut.json()).resolves.toMatchObject({ signIn: { link: false } });
  });

  /** The Deployment of a function's current version, and its pods as the API server has them. */
  const workloadOf = (fn: string) => {
    const selector = `app.kubernetes.io/component=function,dispatch.io/function=${fn}`;
    const [deployment] = (
      JSON.parse(session.kubectl(['get', 'deployments', '-l', selector, '-o', 'json'])) as {
        items: {
          metadata: { name: string };
          spec: { replicas: number };
          status: { readyReplicas?: number };
        }[];
      }
    ).items;
    const pods = (
      JSON.parse(session.kubectl(['get', 'pods', '-l', selector, '-o', 'json'])) as {
        items: {
          metadata: { deletionTimestamp?: string };
          spec: {
            automountServiceAccountToken?: boolean;
            volumes?: { name: string }[];
            containers: { image: string; volumeMounts?: { mountPath: string }[] }[];
          };
          status: { phase: string };
        }[];
      }
    ).items.filter((p) => !p.metadata.deletionTimestamp);
    return { deployment, pods };
  };

  it('runs each function in pods of its own, of its runner image, with no API token', () => {
    const { deployment, pods } = workloadOf('hello');
    expect(deployment?.status.readyReplicas).toBeGreaterThanOrEqual(1);
    expect(pods.map((p) => p.status.phase)).toContain('Running');
    for (const pod of pods) {
      expect(pod.spec.containers.map((c) => c.image)).toEqual(['localhost/dispatch-runner-nodejs:0.1.0']);
      // The API server's admission gives a pod a token volume unless told not to: this one has none.
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      expect(
        (pod.spec.volumes ?? []).map((v) => v.name).filter((n) => n.startsWith('kube-api-access')),
      ).toEqual([]);
      const mounts = pod.spec.containers.flatMap((c) => c.volumeMounts ?? []).map((m) => m.mountPath);
      expect(mounts.filter((m) => m.startsWith('/var/run/secrets'))).toEqual([]);
    }
  });

  it('scales an idle function to zero, and back with its next call', async () => {
    await eventually(
      'the function at zero pods',
      async () => {
        const { deployment, pods } = workloadOf('hello');
        return deployment?.spec.replicas === 0 && pods.length === 0 ? true : undefined;
      },
      120_000,
      1000,
    );
    const started = Date.now();
    const out = JSON.parse(await must(['exec', 'hello', '--input', '{"name":"from zero"}'])) as {
      payload: { hello: string };
    };
    const coldStartMs = Date.now() - started;
    expect(out.payload.hello).toBe('from zero');
    expect(workloadOf('hello').deployment?.spec.replicas).toBeGreaterThanOrEqual(1);
    // What a call to a function at zero took, pod start included (reported, not asserted).
    process.stdout.write(`function pod cold start through the CLI: ${coldStartMs} ms\n`);
  }, 180_000);

  it("fails a function whose handler does not load, whose pods no node takes, or whose runner image cannot be pulled, with Kubernetes's reason", async () => {
    session.write('broken.js', "throw new Error('no luck at load');\n");
    const broken = await session.dispatch([
      'create',
      'function',
      '--image',
      'nodejs',
      'broken',
      './broken.js',
      '--wait',
    ]);
    expect(broken.code).not.toBe(0);
    expect(broken.stderr).toMatch(/function broken is in ERROR: .*no luck at load/);
    // The only node takes no new pod: the scheduler's reason, once the ready time is up.
    const node = session.kubectl(['get', 'nodes', '-o', 'name']).trim();
    session.kubectl(['cordon', node]);
    try {
      session.write('stranded.js', 'module.exports = () => "never runs";\n');
      const create = ['create', 'function', '--image', 'nodejs', 'stranded', './stranded.js', '--wait'];
      const stranded = await session.dispatch(create);
      expect(stranded.code).not.toBe(0);
      expect(stranded.stderr).toMatch(
        /function stranded is in ERROR: no pod .* was ready within 30 s: not scheduled: .*unschedulable/,
      );
    } finally {
      session.kubectl(['uncordon', node]);
    }
    // No python3 runner image was put on the node, and there is no registry to pull it from.
    await must([
      'create',
      'base-image',
      'py-base',
      'dispatchframework/python3-base',
      '--language',
      'python3',
    ]);
    await must(['create', 'image', 'python3', 'py-base', '--wait']);
    session.write('hello.py', 'def handle(context, payload):\n    return payload\n');
    const unpulled = await session.dispatch([
      'create',
      'function',
      '--image',
      'python3',
      'snake',
      './hello.py',
      '--wait',
    ]);
    expect(unpulled.code).not.toBe(0);
    expect(unpulled.stderr).toMatch(
      /function snake is in ERROR: .*(ErrImagePull|ImagePullBackOff|ErrImageNeverPull)/,
    );
  }, 600_000);

  it('runs a subscribed function for an event, through Kafka', async () => {
    await must(['create', 'subscription', 'hello', '--event-type', 'k8s.hello', '--name', 'on-hello']);
    await must([
      'emit',
      'k8s.hello',
      '--data',
      '{"name":"event"}',
      '--source-id',
      'e2e',
      '--event-id',
      'k8s-event-1',
    ]);
    const run = await eventually(
      'the run of the event',
      async () =>
        (await runsOf('hello')).find((r) => (r.output as { hello?: string } | null)?.hello === 'event'),
      150_000,
    );
    expect(run.status).toBe('READY');
  }, 180_000);

  it('comes back from a killed functions pod with everything it acknowledged', async () => {
    const [pod] = pods('functions');
    session.kubectl(['delete', 'pod', pod as string, '--grace-period=0', '--force', '--wait=false']);
    // Its replacement, Ready: until then the killed pod's container may still answer for a moment (its
    // object is gone at once, its process when the kubelet gets to it), then nothing does.
    await eventually(
      'a new functions pod Ready',
      async () => {
        const [next] = pods('functions');
        if (!next || next === pod) return undefined;
        const ready = session.kubectl([
          'get',
          'pod',
          next,
          '-o',
          'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
        ]);
        return ready === 'True' ? true : undefined;
      },
      240_000,
      1000,
    );
    const out = await eventually(
      'an exec after the kill',
      async () => {
        const res = await session.dispatch(['exec', 'hello', '--input', '{"name":"again"}']);
        return res.code === 0 ? (JSON.parse(res.stdout) as { payload: { hello: string } }) : undefined;
      },
      240_000,
    );
    expect(out.payload.hello).toBe('again');
    expect(pods('functions')).not.toContain(pod);
  }, 300_000);

  it('loses nothing it acknowledged while a pod of each service is deleted during a stream of calls', async () => {
    session.write('count.js', counter.source);
    await must(['create', 'function', '--image', 'nodejs', 'count', './count.js', '--wait']);
    await must(['create', 'subscription', 'count', '--event-type', 'stream.event', '--name', 'counting']);
    await eventually('the subscription READY', async () =>
      JSON.parse(await must(['get', 'subscription', 'counting', '-o', 'json'])).status === 'READY'
        ? true
        : undefined,
    );
    const SERVICES = ['identity', 'images', 'functions', 'secrets', 'events', 'api-gateway'];
    const EVERY = 15;
    const TOTAL = EVERY * (SERVICES.length + 1);
    const headers = {
      'content-type': 'application/json',
      'x-dispatch-org': session.org,
      authorization: await session.authorization(),
    };
    const { streamRound, refusals } = acknowledgingClient(session.api, headers, 600);
    const deleted: string[] = [];
    for (let i = 0; i < TOTAL; i += 1) {
      const service = i % EVERY === 0 ? SERVICES[i / EVERY - 1] : undefined;
      if (service) {
        // As a node drain or a rollout does: the pod is told to stop, and its Deployment replaces it.
        const [pod] = pods(service);
        session.kubectl(['delete', 'pod', pod as string, '--wait=false']);
        deleted.push(pod as string);
      }
      await streamRound(i);
    }
    for (const service of SERVICES) expect(pods(service).some((p) => deleted.includes(p))).toBe(false);

    const secrets = JSON.parse(await must(['get', 'secrets', '-o', 'json'])) as { name: string }[];
    const streamed = Array.from({ length: TOTAL }, (_, i) => `s-${i}`);
    expect(streamed.filter((name) => !secrets.some((s) => s.name === name))).toEqual([]);
    const events = Array.from({ length: TOTAL }, (_, i) => `e-${i}`);
    const seen = await eventually(
      'every event run',
      async () => {
        const now = await counter.seen();
        return events.every((id) => now.has(id)) ? now : undefined;
      },
      120_000,
    ).catch(() => counter.seen());
    const missing = events.filter((id) => !seen.has(id));
    const twice = events.filter((id) => (seen.get(id) ?? 0) > 1);
    expect({ missing, twice }).toEqual({ missing: [], twice: [] });
    expect(Array.from({ length: TOTAL }, (_, i) => `exec-${i}`).filter((id) => !seen.has(id))).toEqual([]);
    // The deletions were felt: some calls were refused or cut while a pod was replaced.
    expect(refusals()).toBeGreaterThan(0);
  }, 900_000);

  it('rolls out a changed value with helm upgrade, losing no function or event', async () => {
    const before = pods('functions');
    session.helm([
      'upgrade',
      session.release,
      'charts/dispatch',
      '-n',
      session.release,
      '--wait',
      '--timeout',
      '8m',
      ...session.values,
      '--set',
      'shutdownDelayMs=1000',
    ]);
    expect(pods('functions').some((p) => before.includes(p))).toBe(false);
    // Emitted right after the rollout: the subscription and the function are still there.
    await must([
      'emit',
      'k8s.hello',
      '--data',
      '{"name":"upgraded"}',
      '--source-id',
      'e2e',
      '--event-id',
      'k8s-event-2',
    ]);
    await eventually(
      'the run of the event after the upgrade',
      async () =>
        (await runsOf('hello')).find((r) => (r.output as { hello?: string } | null)?.hello === 'upgraded'),
      240_000,
    );
    expect(
      (await runsOf('hello')).filter((r) => (r.output as { hello?: string } | null)?.hello === 'event'),
    ).toHaveLength(1);
  }, 600_000);

  it('leaves only the data claim after helm uninstall', async () => {
    session.helm(['uninstall', session.release, '-n', session.release, '--wait']);
    const left = () =>
      session
        .kubectl([
          'get',
          'all,configmaps,secrets,ingresses,networkpolicies,serviceaccounts,roles,rolebindings,persistentvolumeclaims',
          '-l',
          `app.kubernetes.io/instance=${session.release}`,
          '-o',
          'jsonpath={range .items[*]}{.kind}/{.metadata.name}{" "}{end}',
        ])
        .trim()
        .split(' ')
        .filter(Boolean);
    // The pods go once they have finished what they had (their grace period).
    const kept = [`PersistentVolumeClaim/${session.release}-data`];
    await eventually(
      'only the kept claim left',
      async () => (JSON.stringify(left()) === JSON.stringify(kept) ? true : undefined),
      120_000,
    ).catch(() => undefined);
    expect(left()).toEqual(kept);
  }, 300_000);
});
