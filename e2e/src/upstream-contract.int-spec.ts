import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { packSource } from '@dispatch/api-client';
import type { Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';
import { UpstreamApi, type Line } from './upstream-api.js';

const HELLO = `module.exports = function (context, params) {
  return { myField: 'Hello, ' + (params && params.name) + ' from ' + (params && params.place) };
};
`;

interface Answer {
  status: number;
  body: unknown;
}

/**
 * The routes of both lines of the original API, called as their Go clients call them: bodies shaped
 * by the line's models (unset lists and objects null, the line's own field names), each answer
 * checked against the model its Swagger file gives it. What a line has that this installation does
 * not serve yet is not here (see the README's "The original Dispatch clients").
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
        authorization = await session.authorization();
        session.write('hello.js', HELLO);
      }, SETUP_TIMEOUT);

      afterAll(async () => {
        await session?.stop();
      });

      const send = async (method: string, path: string, body?: unknown): Promise<Answer> => {
        const res = await fetch(`${session.api}${path}`, {
          method,
          headers: {
            authorization,
            'x-dispatch-org': session.org,
            ...(body !== undefined && { 'content-type': 'application/json' }),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
      };

      for (const line of ['v0.1', 'knative'] as Line[]) {
        describe(`the ${line} line`, () => {
          const api = new UpstreamApi(line);
          const v01 = line === 'v0.1';
          const prefix = v01 ? 'v01' : 'kn';
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
            const imageName = `${prefix}-node`;
            await call(
              'addImage',
              {},
              { name: imageName, [v01 ? 'baseImageName' : 'baseImage']: baseImageName },
            );
            const image = await until('getImageByName', { imageName });
            expect(image['language']).toBe('nodejs');
            await call('getImages');

            const functionName = `${prefix}-hello`;
            const source = await packSource(session.write(`${prefix}-hello.js`, HELLO));
            await call('addFunction', {}, { name: functionName, image: imageName, source });
            await until('getFunction', { functionName });
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
            await call(add, {}, fields);
            await call(list);
            await call(get, { [param]: name });
            const updated = await call(update, { [param]: name }, { ...fields, methods: ['GET', 'POST'] });
            expect(updated['methods']).toEqual(['GET', 'POST']);
            await call(remove, { [param]: name });
          });

          it('manages secrets and subscriptions, and emits an event', async () => {
            const secretName = `${prefix}-secret`;
            await call('addSecret', {}, { name: secretName, secrets: { password: 'pw-1' } });
            await call('getSecret', { secretName });
            await call('getSecrets');
            await call('updateSecret', { secretName }, { name: secretName, secrets: { password: 'pw-2' } });
            await call('deleteSecret', { secretName });

            const subscriptionName = `${prefix}-sub`;
            const subscription = {
              name: subscriptionName,
              eventType: `${prefix}.happened`,
              function: `${prefix}-hello`,
            };
            await call('addSubscription', {}, subscription);
            await call('getSubscription', { subscriptionName });
            await call('getSubscriptions');
            await call(
              'updateSubscription',
              { subscriptionName },
              { ...subscription, eventType: `${prefix}.changed` },
            );
            await call('deleteSubscription', { subscriptionName });
            // An event as its CloudEvents 0.1 client emits it.
            await call(
              'emitEvent',
              {},
              {
                cloudEventsVersion: '0.1',
                eventType: `${prefix}.happened`,
                eventID: randomUUID(),
                source: 'contract',
                contentType: 'application/json',
                data: { a: 1 },
              },
            );
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
            await call('deleteOrganization', { organizationName });
          });

          it('deletes functions, images and base images', async () => {
            await call('deleteFunction', { functionName: `${prefix}-hello` });
            await call('deleteImageByName', { imageName: `${prefix}-node` });
            await call('deleteBaseImageByName', { baseImageName: `${prefix}-base` });
          });
        });
      }
    }),
);
