import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from '@jest/globals';
import { Header } from 'tar';
import { inferHandler, unpackSource } from './source.js';

/** A tar entry as an archive holds it: its header, then its data padded to a block. */
function entry(path: string, data: Buffer | number): Buffer {
  const size = typeof data === 'number' ? data : data.length;
  const header = Buffer.alloc(512);
  new Header({ path, mode: 0o644, size, type: 'File', mtime: new Date(0) }).encode(header);
  const body = typeof data === 'number' ? Buffer.alloc(size) : data;
  return Buffer.concat([header, body, Buffer.alloc((512 - (size % 512)) % 512)]);
}
const archiveOf = (...entries: Buffer[]) =>
  gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)])).toString('base64');

describe('unpacking a source archive', () => {
  const target = () => join(mkdtempSync(join(tmpdir(), 'dispatch-unpack-')), 'code');

  it('unpacks the files of a gzipped tar', async () => {
    const dir = target();
    await unpackSource(archiveOf(entry('hello.js', Buffer.from('module.exports = () => 1;\n'))), dir);
    expect(readFileSync(join(dir, 'hello.js'), 'utf8')).toBe('module.exports = () => 1;\n');
  });

  it('refuses a gzip bomb with a reason, writing nothing, and the process lives on', async () => {
    const bomb = archiveOf(entry('big.bin', 150 * 1024 * 1024), entry('hello.js', Buffer.from('x')));
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const dir = target();
    await expect(unpackSource(bomb, dir)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'the source unpacks to over 100 MB',
    });
    expect(existsSync(dir)).toBe(false);
    // Unpacked again (a restart's reconcile), the same answer: no crash, no loop.
    await expect(unpackSource(bomb, dir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses an archive of too many files', async () => {
    const swarm = archiveOf(...Array.from({ length: 10_001 }, (_, i) => entry(`f${i}.js`, 0)));
    await expect(unpackSource(swarm, target())).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'the source holds more than 10000 files',
    });
  });

  it('refuses what is not a gzipped tar', async () => {
    await expect(unpackSource(Buffer.from('hello').toString('base64'), target())).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: expect.stringContaining('not a gzipped tar archive'),
    });
  });
});

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'dispatch-source-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('the handler of a single-file function', () => {
  it('is the file for nodejs and module.handle for python3', async () => {
    expect(await inferHandler('nodejs', dirWith({ 'hello.js': '' }))).toBe('./hello.js');
    expect(await inferHandler('python3', dirWith({ 'hello.py': '' }))).toBe('hello.handle');
  });

  it('is the class in its package for java, comments aside', async () => {
    const source = `/* package not.this; */
// package nor.this;
package io.example.greet ;

public class Hello {}
`;
    expect(await inferHandler('java', dirWith({ 'Hello.java': source }))).toBe('io.example.greet.Hello');
    expect(await inferHandler('java', dirWith({ 'Hello.java': 'public class Hello {}' }))).toBe('Hello');
  });

  it('is not guessed for several files', async () => {
    expect(await inferHandler('nodejs', dirWith({ 'a.js': '', 'b.js': '' }))).toBeUndefined();
  });
});
