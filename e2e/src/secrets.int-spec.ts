import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';

/** The regular files under a directory (not the runners' sockets, which hold nothing to read). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );
}

// The function shows a digest of the password it got: the run's output must not hold the value itself.
const SHOW = `const { createHash } = require('crypto');
module.exports = (context) => {
  const password = (context.secrets || {}).password;
  return { password: password ? createHash('sha256').update(password).digest('hex') : null };
};
`;
const digest = (text: string) => createHash('sha256').update(text).digest('hex');

inEachShape('secrets', ['images', 'functions', 'secrets'], (shape, open) =>
  describe(`secrets through the dispatch CLI (${shape})`, () => {
    let session: Session;
    const dispatch = (args: string[], stdin?: string) => session.dispatch(args, stdin);

    beforeAll(async () => {
      session = await open();
      await session.nodejsImage();
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
    });

    it('hands a secret to the functions that name it, and to no other', async () => {
      session.write('secret.json', JSON.stringify({ password: 'OpenSesame-7d2f' }));
      expect(await dispatch(['create', 'secret', 'open-sesame', 'secret.json'])).toMatchObject({
        code: 0,
        stdout: 'Created secret: open-sesame\n',
      });
      session.write('show.js', SHOW);
      const withIt = [
        'create',
        'function',
        '--image',
        'nodejs',
        '--secret',
        'open-sesame',
        'with-secret',
        './show.js',
      ];
      expect((await dispatch([...withIt, '--wait'])).code).toBe(0);
      expect(
        (await dispatch(['create', 'function', '--image', 'nodejs', 'without', './show.js', '--wait'])).code,
      ).toBe(0);

      const exec = async (args: string[]) =>
        JSON.parse((await dispatch(['exec', ...args, '--input', '{}'])).stdout);
      expect((await exec(['with-secret'])).payload).toEqual({ password: digest('OpenSesame-7d2f') });
      expect((await exec(['without'])).payload).toEqual({ password: null });
      expect((await exec(['without', '--secret', 'open-sesame'])).payload).toEqual({
        password: digest('OpenSesame-7d2f'),
      });

      // Runs record which secrets, never their values.
      const runs = await dispatch(['get', 'runs', 'with-secret', '-o', 'json']);
      expect(runs.stdout).toContain('open-sesame');
      expect(runs.stdout).not.toContain('OpenSesame-7d2f');
    }, 60_000);

    it('fails a run that names a missing secret, saying which', async () => {
      const out = await dispatch(['exec', 'without', '--secret', 'no-such', '--input', '{}']);
      expect(out.code).toBe(1);
      const run = JSON.parse(out.stdout) as { context: { error: { type: string; message: string } } };
      expect(run.context.error).toMatchObject({
        type: 'InputError',
        message: `secret no-such not found in ${session.org}/default`,
      });
    });

    it('hides values unless asked, and keeps them out of the data directory in clear text', async () => {
      const table = await dispatch(['get', 'secret']);
      expect(table.stdout).toMatch(/open-sesame\s+password/);
      expect(table.stdout).not.toContain('OpenSesame-7d2f');
      expect((await dispatch(['get', 'secret', 'open-sesame', '-o', 'json'])).stdout).not.toContain(
        'OpenSesame-7d2f',
      );
      expect((await dispatch(['get', 'secret', 'open-sesame', '--show-values'])).stdout).toContain(
        'password=OpenSesame-7d2f',
      );
      for (const file of filesUnder(session.dataDir)) {
        expect({ file, found: readFileSync(file).includes('OpenSesame-7d2f') }).toEqual({
          file,
          found: false,
        });
      }
    });

    it('updates and deletes, and answers a bad file with one line', async () => {
      // Run it once more first: the functions service may keep the value it read (a cache the secrets
      // service's domain events clear), and the update must still reach the next run.
      expect(JSON.parse((await dispatch(['exec', 'with-secret', '--input', '{}'])).stdout).payload).toEqual({
        password: digest('OpenSesame-7d2f'),
      });
      session.write('new.json', JSON.stringify({ password: 'Changed' }));
      expect((await dispatch(['update', 'secret', 'open-sesame', 'new.json'])).code).toBe(0);
      expect(JSON.parse((await dispatch(['exec', 'with-secret', '--input', '{}'])).stdout).payload).toEqual({
        password: digest('Changed'),
      });
      session.write('bad.json', '["not", "an", "object"]');
      const bad = await dispatch(['create', 'secret', 'bad', 'bad.json']);
      expect(bad).toMatchObject({
        code: 2,
        stderr: 'error: bad.json must hold a JSON object of names to values\n',
      });
      expect((await dispatch(['delete', 'secret', 'open-sesame'])).stdout).toBe(
        'Deleted secret: open-sesame\n',
      );
      expect((await dispatch(['get', 'secret', 'open-sesame'])).code).toBe(3);
      // No replica keeps serving a deleted secret's values.
      const gone = await dispatch(['exec', 'with-secret', '--input', '{}']);
      expect(gone.code).toBe(1);
      expect((JSON.parse(gone.stdout) as { context: { error: unknown } }).context.error).toMatchObject({
        type: 'InputError',
        message: `secret open-sesame not found in ${session.org}/default`,
      });
    });
  }),
);
