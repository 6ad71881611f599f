import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { packSource } from '@dispatch/api-client';
import type { Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';
import { UpstreamApi, type Line } from './upstream-api.js';

const HELLO = `module.exports = function (context, params) {
  const answer = { myField: 'Hello, ' + (params && params.name) + ' from ' + (params && params.place) };
  if (context.secrets && context.secrets.password) answer.password = context.secrets.password;
  return answer;
};
`;

/** A driver program an operator installs: one event, then quiet until it is stopped. */
const TICKER = `#!/bin/sh
echo '{"specversion":"1.0","type":"contract.tick","source":"ticker","id":"tick-1","data":{}}'
sleep 60
`;

interface Answer {
  status: number;
  body: unknown;
}

/**
 * Every route of both lines of the original API, called as their Go clients call them: signed in as
 * the original CLI signs a service account's token, bodies shaped by the line's models (unset lists
 * and objects null, the line's own field names), each answer checked against the model its Swagger
 * file gives it. Along the way, the seed walkthrough: a base image, an image, a function run, an
 * endpoint called over HTTP, a secret the function reads, and an emitted event that runs it. The last
 * test of each line checks that no route of its Swagger files was left out.
 */
inEachShape(
  'upstream-contract',
  ['identity', 'images', 'functions', 'api-gateway', 'secrets', 'events'],
  (shape, open) =>
    describe(`the original API as its Go clients call it (${shape})`, () => {
      let session: Session;
      let authorization: string;

      beforeAll(async () => {
        session = await open();
        authorization = await session.authorization('original CLI');
        session.write('hello.js', HELLO);
        await session.installDriverProgram('contract-ticker.sh', TICKER);
      }, SETUP_TIMEOUT);

      afterAll(async () => {
        await session?.stop();
      });

      const send = async (method: string, path: string, body?: unknown, signedIn = true): Promise<Answer> => {
        const res = await fetch(`${session.api}${path}`, {
          method,
          redirect: 'manual',
          headers: {
            ...(signedIn && { authorization }),
            'x-dispatch-org': session.org,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
      };

      /** Where this session's org's endpoints answer: the root for the default org, else under /<org>/. */
      const gateway = () => `${session.gateway.http}${session.org === 'default' ? '' : `/${session.org}`}`;
      /** The JSON `url` answers once it answers `status` (the gateway learns of endpoints as they change). */
      const answered = async (url: string, status: number): Promise<unknown> => {
        let res: Response | undefined;
        for (let i = 0; i < 200 && res?.status !== status; i += 1) {
          if (i > 0) await new Promise((r) => setTimeout(r, 100));
          res = await fetch(url);
        }
        expect(res?.status).toBe(status);
        return res?.json();
      };

      for (const line of ['v0.1', 'knative'] as Line[]) {
        describe(`the ${line} line`, () => {
          const api = new UpstreamApi(line);
          const v01 = line === 'v0.1';
          const prefix = v01 ? 'v01' : 'kn';
          /** The operations called so far, by id: the last test wants every one of the line's. */
          const called = new Set<string>();
          /**
           * Operations not called here, each with why. At an ingress, `/` is the endpoints' (a tenant's
           * endpoint may be the root of the host); the API answers it where it has a port of its own.
           */
          const notCalled: Record<string, string> =
            shape === 'solo' ? {} : { root: 'at the ingress, / is served by the endpoints' };
          /**
           * Calls an operation of the line by its id, with `params` in its path and, if it takes a body,
           * `given` shaped as its Go client sends it; the answer must be a success its model describes.
           */
          const call = async (
            operationId: string,
            params: Record<string, string> = {},
            given?: Record<string, unknown>,
            query = '',
          ): Promise<Record<string, unknown> & Record<number, unknown>> => {
            const op = api.operations.find((o) => o.operationId === operationId);
            if (!op) throw new Error(`the ${line} API has no operation ${operationId}`);
            called.add(operationId);
            const path = op.path.replace(/\{(\w+)\}/g, (_m, p: string) =>
              encodeURIComponent(params[p] ?? ''),
            );
            const body = op.body ? api.goBody(op.body, given ?? {}) : undefined;
            const answer = await send(op.method, `${path}${query}`, body);
            if (answer.status >= 300)
              throw new Error(`${operationId}: ${answer.status} ${JSON.stringify(answer.body)}`);
            if (op.answer) expect(api.problems(op.answer.model, answer.body, op.answer.list)).toEqual([]);
            return answer.body as Record<string, unknown>;
          };
          const until = async (
            operationId: string,
            params: Record<string, string>,
            status = 'READY',
          ): Promise<Record<string, unknown>> => {
            for (let i = 0; i < 600; i += 1) {
              const body = await call(operationId, params);
              if (body['status'] === status) return body;
              if (body['status'] === 'ERROR')
                throw new Error(`${operationId}: ERROR ${JSON.stringify(body)}`);
              await new Promise((r) => setTimeout(r, 100));
            }
            throw new Error(`${operationId} never ${status}`);
          };

          it('manages base images, images and functions, and runs one', async () => {
            const baseImageName = `${prefix}-base`;
            const url = 'dispatchframework/nodejs-base:0.0.13';
            await call(
              'addBaseImage',
              {},
              {
                name: baseImageName,
                [v01 ? 'dockerUrl' : 'imageURL']: url,
                language: 'nodejs',
              },
            );
            await until('getBaseImageByName', { baseImageName });
            await call('getBaseImages');
            const baseImage = await call(
              'updateBaseImageByName',
              { baseImageName },
              {
                name: baseImageName,
                [v01 ? 'dockerUrl' : 'imageURL']: url,
                language: 'nodejs',
                tags: [{ key: 'stage', value: 'contract' }],
              },
            );
            expect(baseImage['tags']).toEqual([{ key: 'stage', value: 'contract' }]);
            const imageName = `${prefix}-node`;
            await call(
              'addImage',
              {},
              { name: imageName, [v01 ? 'baseImageName' : 'baseImage']: baseImageName },
            );
            const image = await until('getImageByName', { imageName });
            expect(image['language']).toBe('nodejs');
            await call('getImages');
            const updatedImage = await call(
              'updateImageByName',
              { imageName },
              {
                name: imageName,
                [v01 ? 'baseImageName' : 'baseImage']: baseImageName,
                tags: [{ key: 'stage', value: 'contract' }],
              },
            );
            expect(updatedImage['tags']).toEqual([{ key: 'stage', value: 'contract' }]);
            await until('getImageByName', { imageName });

            const functionName = `${prefix}-hello`;
            const source = await packSource(session.write(`${prefix}-hello.js`, HELLO));
            await call('addFunction', {}, { name: functionName, image: imageName, source });
            const ready = await until('getFunction', { functionName });
            // Both CLIs show the image a function runs on.
            expect(ready['functionImageURL']).toEqual(expect.stringMatching(/./));
            expect(ready['functionImageURL']).toBe(updatedImage['imageURL']);
            await call('getFunctions');
            const run = await call(
              'runFunction',
              {},
              {
                functionName,
                blocking: true,
                input: { name: 'Jon', place: 'Winterfell' },
              },
              `?functionName=${functionName}`,
            );
            expect(run['output']).toEqual({ myField: 'Hello, Jon from Winterfell' });
            await call(
              'getRun',
              { runName: String(run['name']) },
              undefined,
              `?functionName=${functionName}`,
            );
            await call('getRuns', {}, undefined, `?functionName=${functionName}`);
          }, 300_000);

          it(`manages ${v01 ? 'APIs' : 'endpoints'}`, async () => {
            const [add, list, get, update, remove, param] = v01
              ? ['addAPI', 'getAPIs', 'getAPI', 'updateAPI', 'deleteAPI', 'api']
              : [
                  'addEndpoint',
                  'getEndpoints',
                  'getEndpoint',
                  'updateEndpoint',
                  'deleteEndpoint',
                  'endpoint',
                ];
            const name = `${prefix}-route`;
            const fields = {
              name,
              function: `${prefix}-hello`,
              uris: [`/${prefix}-route`],
              methods: ['GET'],
            };
            const added = await call(add, {}, fields);
            if (v01) {
              // v0.1's CLI shows how an API authenticates; an endpoint answers anyone, and a file
              // asking for more is refused rather than served less protected than it says.
              expect(added['authentication']).toBe('public');
              const oidc = await send('POST', '/v1/api', {
                ...api.goBody('API', fields),
                name: `${name}-oidc`,
                authentication: 'oidc',
              });
              expect(oidc).toMatchObject({
                status: 400,
                body: { message: expect.stringContaining('authentication may only be public') },
              });
            }
            await call(list);
            await call(get, { [param]: name });
            // Called as `curl` calls it, at the gateway.
            expect(await answered(`${gateway()}/${prefix}-route?name=Curl&place=the%20edge`, 200)).toEqual({
              myField: 'Hello, Curl from the edge',
            });
            const updated = await call(update, { [param]: name }, { ...fields, methods: ['GET', 'POST'] });
            expect(updated['methods']).toEqual(['GET', 'POST']);
            await call(remove, { [param]: name });
          });

          it('gives a function a secret, and runs it for an event it subscribed to', async () => {
            const functionName = `${prefix}-hello`;
            const secretName = `${prefix}-secret`;
            await call('addSecret', {}, { name: secretName, secrets: { password: 'pw-1' } });
            await call('getSecret', { secretName });
            await call('getSecrets');
            await call('updateSecret', { secretName }, { name: secretName, secrets: { password: 'pw-2' } });
            const source = await packSource(session.write(`${prefix}-hello.js`, HELLO));
            await call(
              'updateFunction',
              { functionName },
              { name: functionName, image: `${prefix}-node`, source, secrets: [secretName] },
            );
            await until('getFunction', { functionName });
            const run = await call(
              'runFunction',
              {},
              { functionName, blocking: true, input: { name: 'Arya', place: 'Braavos' } },
              `?functionName=${functionName}`,
            );
            expect(run['output']).toEqual({ myField: 'Hello, Arya from Braavos', password: 'pw-2' });

            const subscriptionName = `${prefix}-sub`;
            const subscription = {
              name: subscriptionName,
              eventType: `${prefix}.changed`,
              function: functionName,
            };
            await call('addSubscription', {}, { ...subscription, eventType: `${prefix}.happened` });
            await call('getSubscription', { subscriptionName });
            await call('getSubscriptions');
            await call('updateSubscription', { subscriptionName }, subscription);
            // An event as its CloudEvents 0.1 client emits it; the subscription runs the function.
            const eventID = randomUUID();
            let runs: Record<string, unknown>[] = [];
            for (let i = 0; i < 300; i += 1) {
              await call(
                'emitEvent',
                {},
                {
                  cloudEventsVersion: '0.1',
                  eventType: `${prefix}.changed`,
                  eventID: `${eventID}-${i}`,
                  source: 'contract',
                  contentType: 'application/json',
                  data: { name: 'Sansa', place: 'an event' },
                },
              );
              await new Promise((r) => setTimeout(r, 200));
              runs = (await call('getRuns', {}, undefined, `?functionName=${functionName}`)) as never;
              if (runs.some((r) => (r['output'] as { myField?: string })?.myField?.includes('Sansa'))) break;
            }
            expect(runs.map((r) => r['output'])).toContainEqual({
              myField: 'Hello, Sansa from an event',
              password: 'pw-2',
            });
            await call('deleteSubscription', { subscriptionName });
          }, 120_000);

          it('manages event driver types and drivers', async () => {
            const driverTypeName = `${prefix}-ticker`;
            const type = { name: driverTypeName, image: 'contract-ticker.sh' };
            await call('addDriverType', {}, type);
            await call('getDriverType', { driverTypeName });
            const types = (await call('getDriverTypes')) as unknown as { name: string }[];
            expect(types.map((t) => t.name)).toContain(driverTypeName);
            const updatedType = await call(
              'updateDriverType',
              { driverTypeName },
              { ...type, tags: [{ key: 'stage', value: 'contract' }] },
            );
            expect(updatedType['tags']).toEqual([{ key: 'stage', value: 'contract' }]);

            const driverName = `${prefix}-timer`;
            const driver = { name: driverName, type: 'timer', config: [{ key: 'interval', value: '1h' }] };
            await call('addDriver', {}, driver);
            await until('getDriver', { driverName });
            await call('getDrivers');
            await call(
              'updateDriver',
              { driverName },
              { ...driver, config: [{ key: 'interval', value: '2h' }] },
            );
            await call('deleteDriver', { driverName });
            await call('deleteDriverType', { driverTypeName });
          });

          if (v01)
            it('manages applications', async () => {
              const application = `${prefix}-app`;
              await call('addApp', {}, { name: application });
              await call('getApp', { application });
              await call('getApps');
              await call(
                'updateApp',
                { application },
                { name: application, tags: [{ key: 'team', value: 'a' }] },
              );
              await call('deleteApp', { application });
            });

          it('manages policies, service accounts and organizations', async () => {
            const policyName = `${prefix}-policy`;
            const rules = [
              { subjects: [`${session.org}/${prefix}-robot`], resources: ['function'], actions: ['get'] },
            ];
            await call('addPolicy', {}, { name: policyName, rules });
            await call('getPolicy', { policyName });
            await call('getPolicies');
            await call(
              'updatePolicy',
              { policyName },
              { name: policyName, rules: [{ ...rules[0], actions: ['get', 'exec'] }] },
            );
            await call('deletePolicy', { policyName });

            // The original CLI sends the PEM of the public key in base64.
            const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
            const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
            const serviceAccountName = `${prefix}-robot`;
            const account = { name: serviceAccountName, publicKey: Buffer.from(pem).toString('base64') };
            await call('addServiceAccount', {}, account);
            await call('getServiceAccount', { serviceAccountName });
            await call('getServiceAccounts');
            await call('updateServiceAccount', { serviceAccountName }, account);
            await call('deleteServiceAccount', { serviceAccountName });

            const organizationName = `${prefix}-org`;
            await call('addOrganization', {}, { name: organizationName });
            await call('getOrganization', { organizationName });
            await call('getOrganizations');
            await call('updateOrganization', { organizationName }, { name: organizationName });
            await call('deleteOrganization', { organizationName });
          });

          it('answers version, home, auth and redirect as the original did, and its root page to anyone', async () => {
            const version = await call('getVersion');
            expect(version['version']).toEqual(expect.any(String));
            // `dispatch login --service-account` is a call to home.
            expect((await call('home'))['message']).toContain(`${session.org}/admin`);
            expect(await send('GET', '/home', undefined, false)).toMatchObject({ status: 401 });
            expect(await call('auth')).toEqual({ message: expect.any(String) });
            // The end of the original CLI's browser sign-in, which would hand the user's credential to
            // whatever local port a link names: not served, and the answer says how to sign in instead.
            const redirect = await send('GET', '/v1/iam/redirect?redirect=http://127.0.0.1:9/catcher');
            called.add('redirect');
            expect(redirect.status).toBe(404);
            expect(api.problems('Error', redirect.body)).toEqual([]);
            expect(redirect.body).toMatchObject({
              message: expect.stringContaining("the original Dispatch CLI's browser sign-in is not served"),
            });
            if (!('root' in notCalled)) {
              const root = await send('GET', '/', undefined, false);
              called.add('root');
              expect(root.status).toBe(200);
              expect(api.problems('Message', root.body)).toEqual([]);
            }
          });

          it('deletes functions, secrets, images and base images', async () => {
            await call('deleteFunction', { functionName: `${prefix}-hello` });
            await call('deleteSecret', { secretName: `${prefix}-secret` });
            await call('deleteImageByName', { imageName: `${prefix}-node` });
            await call('deleteBaseImageByName', { baseImageName: `${prefix}-base` });
          });

          it('has called every route of the line', () => {
            const left = api.operations
              .map((o) => o.operationId)
              .filter((id) => !called.has(id) && !(id in notCalled));
            expect(left).toEqual([]);
          });
        });
      }

      describe("the v0.1 line's batch files, loaded by our CLI", () => {
        it('loads a batch file of the v0.1 line, every kind its CLI loads', async () => {
          session.write('v01file-hello.js', HELLO);
          await session.installDriverProgram('v01file-quiet.sh', '#!/bin/sh\nsleep 60\n');
          const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
          // As v0.1's documents are written: dockerUrl, baseImageName, sourcePath, kind: API, fields left
          // null, a service account's key as base64 of its PEM.
          const file = session.write(
            'v01file-seed.yaml',
            [
              `kind: ServiceAccount\nname: v01file-robot\npublicKey: ${Buffer.from(pem).toString('base64')}\n`,
              `kind: Policy\nname: v01file-robot-reads\nrules:\n  - subjects: [${session.org}/v01file-robot]\n    resources: ['*']\n    actions: [get]\n`,
              'kind: Application\nname: v01file-app\n',
              'kind: Secret\nname: v01file-secret\nsecrets:\n  password: swordfish\n',
              'kind: BaseImage\nname: v01file-node-base\ndockerUrl: dispatchframework/nodejs-base:0.0.13\nlanguage: nodejs\ntags:\n  - key: role\n    value: test\n',
              'kind: Image\nname: v01file-node\nbaseImageName: v01file-node-base\nruntimeDependencies:\n  manifest: null\n',
              'kind: Function\nname: v01file-hello\nsourcePath: v01file-hello.js\nimage: v01file-node\nsecrets: [v01file-secret]\nschema:\n  in: null\n  out: null\ntags:\n  - key: Application\n    value: v01file-app\n',
              'kind: API\nname: v01file-hello-api\nfunction: v01file-hello\nmethods:\n  - GET\nprotocols:\n  - http\n  - https\nuris:\n  - /v01-batch\nauthentication: public\ncors: false\n',
              'kind: DriverType\nimage: v01file-quiet.sh\nexpose: false\nname: v01file-quiet\ntags:\n  - key: role\n    value: example\n',
              'kind: Driver\nname: v01file-ticker\ntype: timer\nconfig:\n  - key: interval\n    value: 1h\n',
              'kind: Subscription\nname: v01file-on-tick\neventType: timer.tick\nfunction: v01file-hello\nsecrets: null\n',
            ].join('---\n'),
          );
          const created = await session.dispatch(['create', '-f', file]);
          expect(created.stderr).toBe('');
          expect(created.stdout.trim().split('\n')).toEqual([
            'Created service account: v01file-robot',
            'Created policy: v01file-robot-reads',
            'Created application: v01file-app',
            'Created secret: v01file-secret',
            'Created base image: v01file-node-base',
            'Created image: v01file-node',
            'Created function: v01file-hello',
            'Created endpoint: v01file-hello-api',
            'Created event driver type: v01file-quiet',
            'Created event driver: v01file-ticker',
            'Created subscription: v01file-on-tick',
          ]);
          expect(await answered(`${gateway()}/v01-batch?name=Bran&place=Winterfell`, 200)).toEqual({
            myField: 'Hello, Bran from Winterfell',
            password: 'swordfish',
          });
          const removed = await session.dispatch(['delete', '-f', file]);
          expect(removed.stderr).toBe('');
          expect(removed.stdout.trim().split('\n')).toEqual([
            'Deleted subscription: v01file-on-tick',
            'Deleted event driver: v01file-ticker',
            'Deleted event driver type: v01file-quiet',
            'Deleted endpoint: v01file-hello-api',
            'Deleted function: v01file-hello',
            'Deleted image: v01file-node',
            'Deleted base image: v01file-node-base',
            'Deleted secret: v01file-secret',
            'Deleted application: v01file-app',
            'Deleted policy: v01file-robot-reads',
            'Deleted service account: v01file-robot',
          ]);
          await answered(`${gateway()}/v01-batch`, 404);

          // An API asking for more protection than an endpoint gives is refused, not served public.
          const guarded = session.write(
            'v01file-guarded.yaml',
            'kind: API\nname: v01file-guarded\nfunction: v01file-hello\nmethods: [GET]\nuris: [/v01-guarded]\nauthentication: oidc\n',
          );
          const refused = await session.dispatch(['create', '-f', guarded]);
          expect(refused.code).toBe(2);
          expect(refused.stderr).toMatch(
            /^error: endpoint v01file-guarded: .*authentication may only be public/,
          );
          expect((await session.dispatch(['get', 'endpoint', 'v01file-guarded'])).code).not.toBe(0);
        }, 180_000);
      });
    }),
);
