// Shared jest settings. Tests run as ES modules (NestJS 12 and several dependencies ship ESM only):
// swc strips types, keeps legacy decorators with their metadata, and emits ESM; jest needs
// --experimental-vm-modules (nx.json passes it).
import { mkdirSync } from 'node:fs';

// Each run writes its results here (--outputFile in nx.json) for the summary line of `npm test`.
mkdirSync(new URL('./.cache/test-results/', import.meta.url), { recursive: true });

export function preset(projectRoot) {
  return {
    rootDir: projectRoot,
    testEnvironment: 'node',
    testEnvironmentOptions: { customExportConditions: ['@dispatch/source', 'node', 'node-addons'] },
    testMatch: ['**/*.spec.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
    transform: {
      '^.+\\.ts$': [
        '@swc/jest',
        {
          jsc: {
            target: 'es2022',
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            keepClassNames: true,
          },
          module: { type: 'es6' },
          sourceMaps: 'inline',
        },
      ],
    },
    testTimeout: 30_000,
  };
}
