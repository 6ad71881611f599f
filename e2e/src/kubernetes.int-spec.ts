import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from './eventually.js';
import { startKubernetesSession, type KubernetesSession } from './kubernetes-session.js';
import { SHAPES } from './shapes.js';

/**
 * The chart on a real single-node Kubernetes (tools/k8s.js): installed with `helm install`, used through
 * the CLI and the ingress, a pod killed, a value changed with `helm upgrade`, then `helm uninstall`.
 * The walkthrough suite runs against such an installation too (its `kubernetes` shape).
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
    session = await startKubernetesSession('k8s');
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
