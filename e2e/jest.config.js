import { preset } from '../jest.preset.js';

export default {
  ...preset(import.meta.dirname),
  displayName: 'e2e',
  // The images of the containers and kubernetes shapes are built once, before the first suite.
  globalSetup: '<rootDir>/global-setup.mjs',
  // The kubernetes shape's suites share one chart installation; it goes when the run ends.
  globalTeardown: '<rootDir>/global-teardown.mjs',
  testSequencer: '<rootDir>/test-sequencer.mjs',
};
