import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Session } from './session.js';
import { inEachShape, SETUP_TIMEOUT } from './shapes.js';

let session: Session;
const dispatch = (args: string[], stdin?: string) => session.dispatch(args, stdin);
const write = (name: string, text: string) => session.write(name, text);

inEachShape('walkthrough', ['images', 'functions'], (shape, open) =>
  describe(`the newcomer walkthrough through the dispatch CLI (${shape})`, () => {
    beforeAll(async () => {
      session = await open();
    }, SETUP_TIMEOUT);

    afterAll(async () => {
      await session?.stop();
    });

    it('seeds the images', async () => {
      const seeded = await dispatch(['create', 'seed-images']);
      expect(seeded.code).toBe(0);
      expect(seeded.stdout).toContain('Created image: nodejs');
      const images = await dispatch(['get', 'images', '-o', 'json']);
      const list = JSON.parse(images.stdout) as { name: string; status: string }[];
      expect(list.map((i) => `${i.name}:${i.status}`).sort()).toEqual([
        'java:READY',
        'nodejs:READY',
        'python3:READY',
      ]);
    }, 120_000);

    it('creates a nodejs function, shows it READY and executes it from standard input', async () => {
      write(
        'hello.js',
        "module.exports = function (context, params) {\n  console.log('hello from the function');\n  return { myField: 'Hello, ' + params.name + ' from ' + params.place };\n};\n",
      );
      expect((await dispatch(['create', 'function', '--image', 'nodejs', 'hello', './hello.js'])).code).toBe(
        0,
      );
      let shown = '';
      for (let i = 0; i < 100 && !shown.includes('READY'); i += 1) {
        shown = (await dispatch(['get', 'function', 'hello'])).stdout;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(shown).toMatch(/hello\s+nodejs\s+\.\/hello\.js\s+READY/);
      const out = await dispatch(['exec', 'hello'], '{"name":"Jon","place":"Winterfell"}');
      expect(out.code).toBe(0);
      expect(out.stdout).toMatch(/"payload": \{\s+"myField": "Hello, Jon from Winterfell"\s+\}/);
      expect(JSON.parse(out.stdout)).toEqual({
        context: { logs: { stdout: ['hello from the function'], stderr: [] }, error: null },
        payload: { myField: 'Hello, Jon from Winterfell' },
      });
      const runs = await dispatch(['get', 'runs', 'hello', '-o', 'json']);
      expect((JSON.parse(runs.stdout) as unknown[]).length).toBe(1);
    }, 60_000);

    it('runs a python3 function on an image with a requirement from PyPI', async () => {
      write('requirements.txt', 'six==1.16.0\n');
      const image = await dispatch([
        'create',
        'image',
        'py-six',
        'python3-base',
        '--runtime-deps',
        'requirements.txt',
        '--wait',
      ]);
      expect(image.stderr).toBe('');
      expect(image.code).toBe(0);
      write(
        'hello.py',
        'import six\n\ndef handle(ctx, payload):\n    return {"myField": "Hello, %s from %s" % (payload["name"], payload["place"]), "six": six.__version__}\n',
      );
      expect(
        (await dispatch(['create', 'function', '--image', 'py-six', 'hello-py', './hello.py', '--wait']))
          .code,
      ).toBe(0);
      const out = await dispatch(['exec', 'hello-py', '--input', '{"name":"Jon","place":"Winterfell"}']);
      expect(JSON.parse(out.stdout).payload).toEqual({
        myField: 'Hello, Jon from Winterfell',
        six: '1.16.0',
      });
    }, 180_000);

    it('runs a java class on an image whose pom.xml pulls a library from Maven Central', async () => {
      write(
        'pom.xml',
        `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>hello-deps</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.commons</groupId>
      <artifactId>commons-lang3</artifactId>
      <version>3.14.0</version>
    </dependency>
  </dependencies>
</project>
`,
      );
      const image = await dispatch([
        'create',
        'image',
        'java-lang3',
        'java-base',
        '--runtime-deps',
        'pom.xml',
        '--wait',
      ]);
      expect(image.stderr).toBe('');
      write(
        'Hello.java',
        `package io.example;

import java.util.Map;
import java.util.function.BiFunction;
import org.apache.commons.lang3.StringUtils;

public class Hello implements BiFunction<Map<String, Object>, Map<String, Object>, Map<String, Object>> {
  public Map<String, Object> apply(Map<String, Object> context, Map<String, Object> payload) {
    System.out.println("java says hello");
    String name = StringUtils.capitalize((String) payload.get("name"));
    return Map.of("myField", "Hello, " + name + " from " + payload.get("place"));
  }
}
`,
      );
      const created = await dispatch([
        'create',
        'function',
        '--image',
        'java-lang3',
        'hello-java',
        './Hello.java',
        '--wait',
      ]);
      expect(created.stderr).toBe('');
      const out = await dispatch(['exec', 'hello-java', '--input', '{"name":"jon","place":"Winterfell"}']);
      expect(JSON.parse(out.stdout)).toEqual({
        context: { logs: { stdout: ['java says hello'], stderr: [] }, error: null },
        payload: { myField: 'Hello, Jon from Winterfell' },
      });
    }, 300_000);

    it('creates, updates and deletes from a batch file', async () => {
      write('double.js', 'module.exports = (c, p) => p * 2;\n');
      write('triple.js', 'module.exports = (c, p) => p * 3;\n');
      const file = write(
        'batch.yaml',
        'kind: BaseImage\nname: node-base-2\nimageURL: dispatchframework/nodejs-base:0.0.13\nlanguage: nodejs\n---\nkind: Image\nname: node-2\nbaseImageName: node-base-2\n---\nkind: Function\nname: double\nimage: node-2\nsourcePath: double.js\n',
      );
      const created = await dispatch(['create', '-f', file]);
      expect(created.code).toBe(0);
      expect(created.stdout.trim().split('\n')).toEqual([
        'Created base image: node-base-2',
        'Created image: node-2',
        'Created function: double',
      ]);
      let out = { stdout: '', code: null as number | null };
      for (let i = 0; i < 100; i += 1) {
        out = await dispatch(['exec', 'double', '--input', '21']);
        if (out.code === 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(JSON.parse(out.stdout).payload).toBe(42);
      write('batch.yaml', 'kind: Function\nname: double\nimage: node-2\nsourcePath: triple.js\n');
      expect((await dispatch(['update', '-f', file])).code).toBe(0);
      let payload = 42;
      for (let i = 0; i < 100 && payload !== 63; i += 1) {
        payload = JSON.parse((await dispatch(['exec', 'double', '--input', '21'])).stdout).payload as number;
      }
      expect(payload).toBe(63);
      expect((await dispatch(['delete', '-f', file])).stdout).toContain('Deleted function: double');
    }, 120_000);

    it('answers mistakes with one line and a non-zero exit', async () => {
      const duplicate = await dispatch(['create', 'function', '--image', 'nodejs', 'hello', './hello.js']);
      expect(duplicate.code).toBe(4);
      expect(duplicate.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^error: function hello already exists/),
      ]);
      const missing = await dispatch(['exec', 'nope', '--input', '{}']);
      expect(missing.code).toBe(3);
      expect(missing.stderr).toMatch(/^error: function nope not found/);
      const badInput = await dispatch(['exec', 'hello', '--input', '{oops']);
      expect(badInput.code).toBe(2);
      expect(badInput.stderr).toMatch(/the input from --input is not JSON/);
      const noServer = await dispatch(['--port', '1', 'get', 'functions']);
      expect(noServer.code).toBe(6);
      expect(noServer.stderr).toMatch(/cannot reach Dispatch/);
    });

    it('reports an invalid handler as ERROR with the reason, with --wait failing', async () => {
      const out = await dispatch([
        'create',
        'function',
        '--image',
        'nodejs',
        'broken',
        './hello.js',
        '--handler',
        './nope.js',
        '--wait',
      ]);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toMatch(/function broken is in ERROR: handler file \.\/nope\.js not found/);
    });
  }),
);
