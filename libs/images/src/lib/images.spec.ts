import { existsSync, readdirSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BaseImage, Image, ImageSpec } from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { METRICS_REGISTRY, startTestApp, type TestApp } from '@dispatch/platform';
import type { Registry } from 'prom-client';
import { ImagesModule } from './images.module.js';

let app: TestApp;

const call = <T>(method: string, path: string, body?: unknown, org = 'default') =>
  app.call<T>(method, path, body, org);

async function waitFor<T extends { status: string }>(
  path: string,
  org = 'default',
  ms = 120_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { body } = await call<T>('GET', path, undefined, org);
    if (body.status === 'READY' || body.status === 'ERROR' || Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A watch as a plain client opens it: what it has received so far, and a way to hang up. */
function watchOf(
  path: string,
  org: string,
): Promise<{ status: number; type?: string; received(): string; close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${app.url}${path}`, { headers: { 'x-dispatch-org': org } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      resolve({
        status: res.statusCode ?? 0,
        type: res.headers['content-type'],
        received: () => text,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(done: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('it did not happen in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Where an image's build went: kept in the store, never shown by the API. */
async function buildDirOf(name: string): Promise<string> {
  const store = app.app.get<EntityStore>(ENTITY_STORE);
  const image = await store.get<ImageSpec>({ org: 'default', project: 'default', kind: 'image', name });
  return image.spec.backingObject?.dir ?? '';
}

beforeAll(async () => {
  app = await startTestApp((dataDir) => [ImagesModule.forRoot({ dataDir })]);
});
afterAll(async () => {
  await app.close();
});

describe('base images', () => {
  it('creates a base image that becomes READY when the host runs its language', async () => {
    const created = await call<BaseImage>('POST', '/v1/baseimage', {
      name: 'nodejs-base',
      imageURL: 'dispatchframework/nodejs-base:0.0.13-knative',
      language: 'nodejs',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'nodejs-base',
      kind: 'baseimage',
      language: 'nodejs',
      org: 'default',
    });
    expect(typeof created.body.revision).toBe('string');
    expect((await waitFor<BaseImage>('/v1/baseimage/nodejs-base')).status).toBe('READY');
    const list = await call<BaseImage[]>('GET', '/v1/baseimage');
    expect(list.body.map((b) => b.name)).toContain('nodejs-base');
  });

  it('refuses a duplicate name, an unknown language and a missing field, each clearly', async () => {
    const body = { name: 'dup', imageURL: 'x/y:1', language: 'python3' };
    expect((await call('POST', '/v1/baseimage', body)).status).toBe(201);
    const dup = await call<{ message: string }>('POST', '/v1/baseimage', body);
    expect(dup.status).toBe(409);
    expect(dup.body.message).toMatch(/already exists/);
    const lang = await call<{ message: string }>('POST', '/v1/baseimage', {
      ...body,
      name: 'cobol',
      language: 'cobol',
    });
    expect(lang.status).toBe(400);
    expect(lang.body.message).toMatch(/language must be one of nodejs, python3, java/);
    const missing = await call<{ message: string }>('POST', '/v1/baseimage', {
      name: 'x',
      language: 'nodejs',
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/imageURL/);
  });

  it('answers a body that is not JSON with a 400 saying so', async () => {
    const res = await fetch(`${app.url}/v1/baseimage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "x",',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/not valid JSON/);
  });

  it('refuses an update whose body names another base image, and changes neither', async () => {
    for (const name of ['left', 'right'])
      await call('POST', '/v1/baseimage', { name, imageURL: `a/${name}:1`, language: 'nodejs' });
    const res = await call<{ message: string }>('PUT', '/v1/baseimage/left', {
      name: 'right',
      imageURL: 'a/changed:2',
      language: 'nodejs',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('the body names base image right, the path left');
    for (const name of ['left', 'right'])
      expect((await call<BaseImage>('GET', `/v1/baseimage/${name}`)).body.imageURL).toBe(`a/${name}:1`);
  });

  it('keeps a watch of the list current: each change as it happens, of its own project only', async () => {
    const watch = await watchOf('/v1/baseimage?watch=true', 'org-w');
    expect(watch.status).toBe(200);
    expect(watch.type).toBe('text/event-stream; charset=utf-8');
    await call(
      'POST',
      '/v1/baseimage',
      { name: 'other-org', imageURL: 'a/b:1', language: 'nodejs' },
      'org-x',
    );
    await call('POST', '/v1/baseimage', { name: 'watched', imageURL: 'a/b:1', language: 'nodejs' }, 'org-w');
    // Created, then READY once the reconciler looked at it, then gone.
    await until(() => /"name":"watched"[^\n]*"status":"READY"/.test(watch.received()));
    await call('DELETE', '/v1/baseimage/watched', undefined, 'org-w');
    await until(() => watch.received().includes('event: delete\ndata: {"name":"watched"}'));
    expect(watch.received()).toMatch(/^: watching base images of project default/);
    expect(watch.received()).not.toContain('other-org');
    watch.close();
  });

  it('refuses a watch it cannot keep: a bad flag, or one narrowed by tags', async () => {
    const bad = await call<{ message: string }>('GET', '/v1/baseimage?watch=maybe');
    expect([bad.status, bad.body.message]).toEqual([400, 'watch must be true or false, got "maybe"']);
    const narrowed = await call<{ message: string }>('GET', '/v1/baseimage?watch=true&tags=a=b');
    expect(narrowed.status).toBe(400);
  });

  it('keeps orgs apart', async () => {
    await call('POST', '/v1/baseimage', { name: 'mine', imageURL: 'a/b:1', language: 'nodejs' }, 'org-a');
    expect((await call('GET', '/v1/baseimage/mine', undefined, 'org-b')).status).toBe(404);
    expect((await call('GET', '/v1/baseimage/mine', undefined, 'org-a')).status).toBe(200);
  });
});

describe('images', () => {
  beforeAll(async () => {
    await call('POST', '/v1/baseimage', {
      name: 'py',
      imageURL: 'dispatchframework/python3-base:0.0.13-knative',
      language: 'python3',
    });
    await call('POST', '/v1/baseimage', {
      name: 'node',
      imageURL: 'dispatchframework/nodejs-base:0.0.13',
      language: 'nodejs',
    });
  });

  it('builds a nodejs image with an npm dependency into its own directory', async () => {
    const manifest = JSON.stringify({
      name: 'deps',
      version: '1.0.0',
      dependencies: { 'is-number': '7.0.0' },
    });
    const created = await call<Image>('POST', '/v1/image', {
      name: 'node-deps',
      baseImage: 'node',
      runtimeDependencies: { manifest },
    });
    expect(created.status).toBe(201);
    const image = await waitFor<Image>('/v1/image/node-deps');
    expect(image).toMatchObject({
      status: 'READY',
      language: 'nodejs',
      imageURL: 'dispatchframework/nodejs-base:0.0.13',
    });
    expect(JSON.stringify(image)).not.toContain(app.dataDir);
    const dir = await buildDirOf('node-deps');
    expect(dir.startsWith(app.dataDir)).toBe(true);
    expect(existsSync(join(dir, 'node_modules', 'is-number', 'package.json'))).toBe(true);
  }, 120_000);

  it('builds a python3 image with a requirement from PyPI into a venv', async () => {
    await call('POST', '/v1/image', {
      name: 'py-deps',
      baseImage: 'py',
      runtimeDependencies: { manifest: 'six==1.16.0\n' },
    });
    const image = await waitFor<Image>('/v1/image/py-deps');
    expect(image.status).toBe('READY');
    const site = join(await buildDirOf('py-deps'), 'venv', 'lib');
    const pythonDir = readdirSync(site)[0] ?? '';
    expect(existsSync(join(site, pythonDir, 'site-packages', 'six.py'))).toBe(true);
  }, 180_000);

  it('ends in ERROR naming a dependency that does not resolve', async () => {
    await call('POST', '/v1/image', {
      name: 'bad-deps',
      baseImage: 'py',
      runtimeDependencies: { manifest: 'no-such-package-dispatch-test==0.0.1\n' },
    });
    const image = await waitFor<Image>('/v1/image/bad-deps');
    expect(image.status).toBe('ERROR');
    expect(image.reason.join(' ')).toMatch(/pip install failed.*no-such-package-dispatch-test/i);
  }, 180_000);

  it('ends in ERROR naming a system package the host lacks', async () => {
    await call('POST', '/v1/image', {
      name: 'sys-deps',
      baseImage: 'node',
      systemDependencies: { packages: [{ name: 'no-such-debian-package' }] },
    });
    const image = await waitFor<Image>('/v1/image/sys-deps');
    expect(image.status).toBe('ERROR');
    expect(image.reason[0]).toMatch(/system package no-such-debian-package is not installed/);
  });

  it('counts builds by language and outcome, and times them', async () => {
    const registry = app.app.get<Registry>(METRICS_REGISTRY, { strict: false });
    const samples = (await registry.getSingleMetric('dispatch_image_builds_total')?.get())?.values ?? [];
    const count = (language: string, outcome: string) =>
      samples.find((v) => v.labels['language'] === language && v.labels['outcome'] === outcome)?.value ?? 0;
    // The nodejs build with a dependency, and the two that failed above (a pip one, a system package).
    expect(count('nodejs', 'success')).toBeGreaterThanOrEqual(1);
    expect(count('python3', 'failure')).toBe(1);
    expect(count('nodejs', 'failure')).toBe(1);
    const timed =
      (await registry.getSingleMetric('dispatch_image_build_duration_seconds')?.get())?.values ?? [];
    expect(
      timed.find(
        (v) =>
          (v as { metricName?: string }).metricName === 'dispatch_image_build_duration_seconds_count' &&
          v.labels['language'] === 'python3' &&
          v.labels['outcome'] === 'failure',
      )?.value,
    ).toBe(1);
  });

  it('refuses an update whose body names another image, and changes neither', async () => {
    for (const name of ['first', 'second'])
      expect(
        (await call('POST', '/v1/image', { name, baseImage: 'node', tags: [{ key: 'n', value: name }] }))
          .status,
      ).toBe(201);
    const res = await call<{ message: string }>('PUT', '/v1/image/first', {
      name: 'second',
      baseImage: 'node',
      tags: [{ key: 'n', value: 'changed' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('the body names image second, the path first');
    for (const name of ['first', 'second'])
      expect((await call<Image>('GET', `/v1/image/${name}`)).body.tags).toEqual([{ key: 'n', value: name }]);
  });

  it('refuses an image on a base image that does not exist', async () => {
    const res = await call<{ message: string }>('POST', '/v1/image', { name: 'orphan', baseImage: 'nope' });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/base image nope not found/);
  });

  it('deletes an image and its build directory', async () => {
    await call('POST', '/v1/image', { name: 'short-lived', baseImage: 'node' });
    await waitFor<Image>('/v1/image/short-lived');
    const dir = await buildDirOf('short-lived');
    expect(existsSync(dir)).toBe(true);
    expect((await call<Image>('DELETE', '/v1/image/short-lived')).body.status).toBe('DELETING');
    const deadline = Date.now() + 10_000;
    while ((await call('GET', '/v1/image/short-lived')).status !== 404 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await call('GET', '/v1/image/short-lived')).status).toBe(404);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('images as the original clients send them', () => {
  it('takes v0.1 names and the nulls of a Go client, and answers with both lines names', async () => {
    // As the v0.1 CLI sends them: dockerUrl and baseImageName, every unset field null.
    const base = await call<BaseImage>('POST', '/v1/baseimage', {
      name: 'v01-base',
      dockerUrl: 'dispatchframework/nodejs-base:0.0.13',
      language: 'nodejs',
      tags: null,
    });
    expect(base.status).toBe(201);
    expect(base.body).toMatchObject({
      imageURL: 'dispatchframework/nodejs-base:0.0.13',
      dockerUrl: 'dispatchframework/nodejs-base:0.0.13',
    });
    const image = await call<Image>('POST', '/v1/image', {
      name: 'v01-image',
      baseImageName: 'v01-base',
      runtimeDependencies: null,
      systemDependencies: { packages: null },
      tags: null,
    });
    expect(image.status).toBe(201);
    expect(image.body).toMatchObject({ baseImage: 'v01-base', baseImageName: 'v01-base' });
    const ready = await waitFor<Image>('/v1/image/v01-image');
    expect(ready).toMatchObject({ status: 'READY', baseImageName: 'v01-base', language: 'nodejs' });
    expect(ready.dockerUrl).toBe(ready.imageURL);
    // A PUT reads them too; a knative name given beside its v0.1 one wins.
    const updated = await call<BaseImage>('PUT', '/v1/baseimage/v01-base', {
      dockerUrl: 'old/name:1',
      imageURL: 'dispatchframework/nodejs-base:0.0.14',
      language: 'nodejs',
    });
    expect(updated.body).toMatchObject({ imageURL: 'dispatchframework/nodejs-base:0.0.14' });
    const missing = await call<{ message: string }>('POST', '/v1/image', {
      name: 'none',
      baseImageName: null,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toBe(
      'invalid image: baseImage: baseImage is required (baseImageName in v0.1)',
    );
  });
});

describe('an image from a container image reference, as the knative CLI sends it', () => {
  it('makes the base image of the URL once, with the language its name says, and reuses it', async () => {
    const url = 'dispatchframework/python3-base:0.0.99-test';
    const first = await call<Image>('POST', '/v1/image', { name: 'from-url', baseImage: url });
    expect(first.status).toBe(201);
    expect(first.body.baseImage).toBe('python3-base-0-0-99-test');
    const base = await waitFor<BaseImage>('/v1/baseimage/python3-base-0-0-99-test');
    expect(base).toMatchObject({ imageURL: url, language: 'python3', status: 'READY' });
    expect(await waitFor<Image>('/v1/image/from-url')).toMatchObject({
      status: 'READY',
      language: 'python3',
    });
    // Another image of the same URL uses that base image; one of another URL with the same name gets its own.
    const second = await call<Image>('POST', '/v1/image', { name: 'from-url-2', baseImage: url });
    expect(second.body.baseImage).toBe('python3-base-0-0-99-test');
    const other = await call<Image>('POST', '/v1/image', {
      name: 'from-url-3',
      baseImage: 'registry.example:5000/team/python3-base:0.0.99-test',
    });
    expect(other.body.baseImage).toMatch(/^python3-base-0-0-99-test-[0-9a-f]{8}$/);
    const bases = (await call<BaseImage[]>('GET', '/v1/baseimage')).body.filter((b) => b.imageURL === url);
    expect(bases).toHaveLength(1);
  });

  it('says how to go on when the URL names no language, and refuses what is no image reference', async () => {
    const unknown = await call<{ message: string }>('POST', '/v1/image', {
      name: 'mystery',
      baseImage: 'example/runtime:1',
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toBe(
      'the language of image example/runtime:1 is not in its name: create a base image for it with its language (dispatch create base-image NAME example/runtime:1 --language nodejs|python3|java) and name that',
    );
    const bad = await call<{ message: string }>('POST', '/v1/image', {
      name: 'bad',
      baseImage: 'Not An/Image',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toBe(
      'invalid image: baseImage: baseImage must name a base image, or be a container image reference (repository[:tag])',
    );
    expect((await call('GET', '/v1/image/mystery')).status).toBe(404);
  });
});
