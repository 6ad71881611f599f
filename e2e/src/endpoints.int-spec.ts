import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createNodejsFunction, type Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';

let session: Session;
const dispatch = (args: string[]) => session.dispatch(args);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
}

/** One HTTP(S) request as curl would make it; the gateway's self-signed certificate is accepted. */
function call(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers, rejectUnauthorized: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = (body: unknown) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

async function fn(name: string, code: string, ...flags: string[]): Promise<void> {
  expect((await createNodejsFunction(session, name, code, ...flags)).stderr).toBe('');
}

async function endpoint(...args: string[]): Promise<void> {
  const out = await dispatch(['create', 'endpoint', ...args]);
  expect(out.stderr).toBe('');
}

/** Routes follow the store's watch: poll until a path answers as expected. */
async function until(url: string, status: number): Promise<Answer> {
  let last: Answer | undefined;
  for (let i = 0; i < 100; i += 1) {
    last = await call(url);
    if (last.status === status) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} answered ${last?.status} ${last?.text}, not ${status}`);
}

const HELLO = `module.exports = function (context, params) {
  let name = 'Noone';
  if (params && params.name) name = params.name;
  let place = 'Nowhere';
  if (params && params.place) place = params.place;
  return { myField: 'Hello, ' + name + ' from ' + place };
};
`;

/** Where this session's org's endpoints answer: the root for `default` (solo), else under `/<org>/`. */
const prefix = () => (session.org === 'default' ? '' : `/${session.org}`);
const gw = {
  get http(): string {
    return session.gateway.http + prefix();
  },
  get https(): string {
    return session.gateway.https + prefix();
  },
};

inEachShape('endpoints', ['images', 'functions', 'api-gateway'], (shape, open) =>
  describe(`endpoints on the gateway (${shape})`, () => {
    beforeAll(async () => {
      session = await open();
      await session.nodejsImage();
      await fn('hello', HELLO);
      await endpoint('get-hello', 'hello', '--method', 'GET', '--method', 'POST', '--path', '/hello');
      await until(`${gw.http}/hello`, 200);
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
    });

    it('passes the query of a GET and a JSON body of a POST, over HTTP and HTTPS', async () => {
      for (const base of [gw.http, gw.https]) {
        const get = await call(`${base}/hello?name=Jon`);
        expect(get.status).toBe(200);
        expect(get.headers['content-type']).toBe('application/json');
        expect(get.text).toBe('{"myField":"Hello, Jon from Nowhere"}');
        const post = await call(`${base}/hello`, json({ name: 'Jon', place: 'Winterfell' }));
        expect(post.json()).toEqual({ myField: 'Hello, Jon from Winterfell' });
      }
    });

    it("manages the same endpoints as v0.1's APIs: `create api`, `get apis`, `delete api`", async () => {
      const created = await dispatch([
        'create',
        'api',
        'v01-hello',
        'hello',
        '--method',
        'GET',
        '--path',
        '/v01',
      ]);
      expect(created.stderr).toBe('');
      expect((await until(`${gw.http}/v01?name=Arya`, 200)).text).toBe(
        '{"myField":"Hello, Arya from Nowhere"}',
      );
      const listed = await dispatch(['get', 'apis', '-o', 'json']);
      expect((JSON.parse(listed.stdout) as { name: string }[]).map((e) => e.name)).toEqual(
        expect.arrayContaining(['get-hello', 'v01-hello']),
      );
      expect((await dispatch(['delete', 'api', 'v01-hello'])).code).toBe(0);
      await until(`${gw.http}/v01`, 404);
      expect((await dispatch(['get', 'endpoint', 'v01-hello'])).code).not.toBe(0);
    });

    it('parses urlencoded and multipart forms', async () => {
      const form = await call(`${gw.http}/hello`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'name=Arya&place=Braavos',
      });
      expect(form.json()).toEqual({ myField: 'Hello, Arya from Braavos' });
      const data = new FormData();
      data.append('name', 'Sansa');
      data.append('place', 'the Eyrie');
      const encoded = new Request('http://x', { method: 'POST', body: data });
      const multipart = await call(`${gw.https}/hello`, {
        method: 'POST',
        headers: { 'content-type': encoded.headers.get('content-type') as string },
        body: Buffer.from(await encoded.arrayBuffer()),
      });
      expect(multipart.json()).toEqual({ myField: 'Hello, Sansa from the Eyrie' });
    });

    it('answers bad JSON, an unsupported content type, a wrong method and an unknown path clearly, over HTTP and HTTPS', async () => {
      for (const base of [gw.http, gw.https]) {
        const badJson = await call(`${base}/hello`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"name": ',
        });
        expect(badJson.status).toBe(400);
        expect(badJson.json()).toMatchObject({
          code: 400,
          message: expect.stringContaining('not valid JSON'),
        });
        const text = await call(`${base}/hello`, {
          method: 'POST',
          headers: { 'content-type': 'text/csv' },
          body: 'a,b',
        });
        expect(text.status).toBe(415);
        expect(text.json()).toMatchObject({
          message: expect.stringContaining('unsupported content type text/csv'),
        });
        const wrong = await call(`${base}/hello`, { method: 'DELETE' });
        expect(wrong.status).toBe(405);
        expect(wrong.headers['allow']).toBe('GET, POST');
        const unknown = await call(`${base}/nothing-here`);
        expect(unknown.status).toBe(404);
        expect(unknown.json()).toMatchObject({
          message: `no endpoint serves GET ${prefix()}/nothing-here`,
        });
      }
    });

    it('refuses a body over 6 MB with 413, over HTTP and HTTPS', async () => {
      for (const base of [gw.http, gw.https]) {
        const big = await call(`${base}/hello`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'x'.repeat(7 * 1024 * 1024) }),
        });
        expect(big.status).toBe(413);
        expect(big.json()).toMatchObject({ message: expect.stringContaining('6 MB') });
      }
    });

    it('gives the function the request in context.httpContext, and lets it set status and headers', async () => {
      await fn(
        'echo',
        `module.exports = (context, input) => ({
  statusCode: 201,
  headers: { 'x-made-by': 'echo', 'content-type': 'application/json' },
  body: { http: context.httpContext, input },
});
`,
      );
      await endpoint('echo', 'echo', '--method', 'PUT', '--path', '/echo/it');
      await until(`${gw.http}/echo/it`, 405);
      const res = await call(`${gw.https}/echo/it?a=1&a=2&b=3`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'x-custom': 'yes' },
        body: '{"k":42}',
      });
      expect(res.status).toBe(201);
      expect(res.headers['x-made-by']).toBe('echo');
      expect(res.json()).toMatchObject({
        input: { k: 42 },
        http: {
          method: 'PUT',
          path: `${prefix()}/echo/it`,
          query: { a: ['1', '2'], b: '3' },
          headers: expect.objectContaining({ 'x-custom': 'yes' }),
          protocol: 'https',
        },
      });
    });

    it('maps a thrown error to 502 and an input-schema violation to 400, with the error in the body', async () => {
      await fn('boom', "module.exports = () => { throw new Error('kaboom'); };\n");
      await endpoint('boom', 'boom', '--path', '/boom');
      const failed = await until(`${gw.http}/boom`, 502);
      expect(failed.json()).toMatchObject({
        message: 'function boom failed: kaboom',
        error: { type: 'FunctionError', message: 'kaboom' },
      });
      session.write('schema.json', JSON.stringify({ type: 'object', required: ['name'] }));
      await fn('strict', 'module.exports = (c, p) => p;\n', '--schema-in', 'schema.json');
      await endpoint('strict', 'strict', '--path', '/strict');
      const refused = await until(`${gw.http}/strict?other=1`, 400);
      expect(refused.json()).toMatchObject({ error: { type: 'InputError' } });
    });

    it('answers CORS preflights and marks responses for an endpoint with --cors, over HTTP and HTTPS', async () => {
      await endpoint('open', 'hello', '--cors', '--method', 'POST', '--path', '/open');
      await until(`${gw.http}/open`, 405);
      for (const base of [gw.http, gw.https]) {
        const preflight = await call(`${base}/open`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://app.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'content-type',
          },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers).toMatchObject({
          'access-control-allow-origin': 'https://app.example',
          'access-control-allow-methods': 'POST',
          'access-control-allow-headers': 'content-type',
        });
        const res = await call(`${base}/open`, {
          ...json({ name: 'Bran' }),
          headers: { 'content-type': 'application/json', origin: 'https://app.example' },
        });
        expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
        // Without --cors there is no preflight answer.
        expect((await call(`${base}/hello`, { method: 'OPTIONS' })).status).toBe(405);
      }
    });

    it('refuses plain HTTP for an --https-only endpoint, saying so', async () => {
      await endpoint('secure', 'hello', '--https-only', '--path', '/secure');
      const plain = await until(`${gw.http}/secure`, 426);
      expect(plain.json()).toMatchObject({ message: 'endpoint secure accepts HTTPS only' });
      expect((await call(`${gw.https}/secure?name=Sam`)).json()).toEqual({
        myField: 'Hello, Sam from Nowhere',
      });
    });

    it('runs asynchronously with x-dispatch-blocking: false and answers 202 with the run, over HTTP and HTTPS', async () => {
      for (const base of [gw.http, gw.https]) {
        const res = await call(`${base}/hello?name=Later`, {
          headers: { 'x-dispatch-blocking': 'false' },
        });
        expect(res.status).toBe(202);
        const run = res.json() as { name: string; blocking: boolean };
        expect(run.blocking).toBe(false);
        let output: unknown;
        for (let i = 0; i < 100 && !output; i += 1) {
          const runs = JSON.parse((await dispatch(['get', 'runs', 'hello', '-o', 'json'])).stdout) as {
            name: string;
            output: unknown;
          }[];
          output = runs.find((r) => r.name === run.name)?.output;
          if (!output) await new Promise((r) => setTimeout(r, 50));
        }
        expect(output).toEqual({ myField: 'Hello, Later from Nowhere' });
      }
    });

    it('changes routes without a restart as endpoints are updated and deleted', async () => {
      await endpoint('moving', 'hello', '--path', '/before');
      await until(`${gw.http}/before`, 200);
      expect((await dispatch(['update', 'endpoint', 'moving', 'hello', '--path', '/after'])).code).toBe(0);
      await until(`${gw.http}/after`, 200);
      expect((await call(`${gw.http}/before`)).status).toBe(404);
      expect((await dispatch(['delete', 'endpoint', 'moving'])).code).toBe(0);
      await until(`${gw.http}/after`, 404);
    });

    it('keeps orgs apart: an org is served under /<org>/, and a client header never picks the org', async () => {
      // Named after the session's org where installations are shared (the kubernetes shape), so no
      // other suite's acme is this one.
      const acmeOrg = session.org === 'default' ? 'acme' : `${session.org}-acme`;
      const other = ['--organization', acmeOrg];
      await session.nodejsImage(other);
      session.write('acme.js', "module.exports = () => ({ org: 'acme' });\n");
      const created = await dispatch([
        ...other,
        'create',
        'function',
        '--image',
        'nodejs',
        'hello',
        './acme.js',
        '--wait',
      ]);
      expect(created.stderr).toBe('');
      expect(
        (await dispatch([...other, 'create', 'endpoint', 'get-hello', 'hello', '--path', '/hello'])).code,
      ).toBe(0);
      const acme = await until(`${session.gateway.http}/${acmeOrg}/hello`, 200);
      expect(acme.json()).toEqual({ org: 'acme' });
      const spoofed = await call(`${gw.http}/hello?name=Jon`, {
        headers: { 'x-dispatch-org': acmeOrg },
      });
      expect(spoofed.json()).toEqual({ myField: 'Hello, Jon from Nowhere' });
      const lists = JSON.parse((await dispatch([...other, 'get', 'endpoints', '-o', 'json'])).stdout) as {
        name: string;
      }[];
      expect(lists.map((e) => e.name)).toEqual(['get-hello']);
    });

    it('refuses a second endpoint on a route another serves, naming it', async () => {
      const clash = await dispatch(['create', 'endpoint', 'copy', 'hello', '--path', '/hello']);
      expect(clash.code).toBe(4);
      expect(clash.stderr).toBe('error: GET /hello is already served by endpoint get-hello\n');
    });
  }),
);
