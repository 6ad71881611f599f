import { createTarGzip } from 'nanotar';

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
