import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';

inEachShape('applications', ['images', 'functions', 'secrets', 'api-gateway'], (shape, open) =>
  describe(`applications through the dispatch CLI (${shape})`, () => {
    let session: Session;
    const dispatch = (args: string[]) => session.dispatch(args);
    const names = async (args: string[]) =>
      (JSON.parse((await dispatch([...args, '-o', 'json'])).stdout) as { name: string }[])
        .map((e) => e.name)
        .sort();

    beforeAll(async () => {
      session = await open();
      await session.nodejsImage();
      session.write('f.js', 'module.exports = () => "ok";\n');
      session.write('s.json', '{"k":"v"}');
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
    });

    it('groups members of every kind with -a, and lists them together', async () => {
      expect((await dispatch(['create', 'application', 'shop'])).stdout).toBe('Created application: shop\n');
      expect(
        (
          await dispatch([
            '-a',
            'shop',
            'create',
            'function',
            '--image',
            'nodejs',
            'cart',
            './f.js',
            '--wait',
          ])
        ).code,
      ).toBe(0);
      expect((await dispatch(['create', 'secret', 'shop-key', 's.json', '-a', 'shop'])).code).toBe(0);
      expect(
        (await dispatch(['create', 'endpoint', 'cart', 'cart', '--path', '/cart', '-a', 'shop'])).code,
      ).toBe(0);
      expect(
        (await dispatch(['create', 'function', '--image', 'nodejs', 'outsider', './f.js', '--wait'])).code,
      ).toBe(0);

      expect(await names(['get', 'functions', '-a', 'shop'])).toEqual(['cart']);
      expect(await names(['get', 'functions'])).toEqual(['cart', 'outsider']);
      const members = JSON.parse((await dispatch(['get', '--application', 'shop', '-o', 'json'])).stdout) as {
        kind: string;
        name: string;
      }[];
      expect(members.map((m) => `${m.kind}/${m.name}`).sort()).toEqual([
        'endpoint/cart',
        'function/cart',
        'secret/shop-key',
      ]);
      const table = (await dispatch(['get', '--application', 'shop'])).stdout;
      expect(table).toMatch(/^KIND\s+NAME\s+STATUS/);
    }, 60_000);

    it('refuses to create into an application that does not exist', async () => {
      const out = await dispatch(['-a', 'nope', 'create', 'secret', 'x', 's.json']);
      expect(out).toMatchObject({
        code: 3,
        stderr: `error: application nope not found in ${session.org}/default\n`,
      });
    });

    it('deletes an application leaving its members, or with --cascade taking them along', async () => {
      expect((await dispatch(['delete', 'application', 'shop'])).code).toBe(0);
      expect(await names(['get', 'functions'])).toEqual(['cart', 'outsider']);
      expect((await dispatch(['get', 'application', 'shop'])).code).toBe(3);

      expect((await dispatch(['create', 'application', 'shop'])).code).toBe(0);
      const cascade = await dispatch(['delete', 'application', 'shop', '--cascade']);
      expect(cascade.code).toBe(0);
      expect(cascade.stdout).toContain('Deleted endpoint: cart');
      expect(cascade.stdout).toContain('Deleted secret: shop-key');
      expect((await dispatch(['get', 'endpoint', 'cart'])).code).toBe(3);
      expect((await dispatch(['get', 'secret', 'shop-key'])).code).toBe(3);
      let fns: string[] = [];
      for (let i = 0; i < 100; i += 1) {
        fns = await names(['get', 'functions']);
        if (!fns.includes('cart')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(fns).toEqual(['outsider']);
    });
  }),
);
