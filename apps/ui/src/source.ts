import { createTarGzip, parseTarGzip } from 'nanotar';

/** A function's code as the API carries it: one file in a gzipped tar, base64-encoded. */
export async function packSource(fileName: string, text: string): Promise<string> {
  const archive = await createTarGzip([{ name: fileName, data: new TextEncoder().encode(text) }]);
  let binary = '';
  for (let i = 0; i < archive.length; i += 0x8000)
    binary += String.fromCharCode(...archive.subarray(i, i + 0x8000));
  return btoa(binary);
}

const FILE_NAMES: Record<string, string> = {
  nodejs: 'handler.js',
  python3: 'handler.py',
  java: 'Handler.java',
};

/** A file name for code typed into the editor, by the image's language. */
export function defaultFileName(language: string | undefined): string {
  return FILE_NAMES[language ?? 'nodejs'] ?? 'handler.js';
}

/** The text files of a function's source (a base64 gzipped tar), for showing; binary files are named only. */
export async function unpackSource(base64: string): Promise<{ name: string; text?: string }[]> {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const files = await parseTarGzip(bytes);
  return files
    .filter((f) => f.type === 'file' || f.type === undefined)
    .map((f) => {
      const data = f.data ?? new Uint8Array();
      const text = new TextDecoder('utf-8', { fatal: false }).decode(data);
      // A NUL byte says binary: not shown.
      return { name: f.name.replace(/^\.\//, ''), ...(data.includes(0) ? {} : { text }) };
    });
}
