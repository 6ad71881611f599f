import { describe, expect, it } from '@jest/globals';
import { boundedLogs } from './bounded-logs.js';
import { logTruncatedLine } from './protocol.js';

describe("a run's logs as its record keeps them", () => {
  it('keeps logs within the limit as they are', () => {
    const logs = { stdout: ['one', 'two'], stderr: ['three'] };
    expect(boundedLogs(logs, 100)).toBe(logs);
  });

  it('cuts what a runner sent past the limit, whatever it claims, and marks where', () => {
    const cut = boundedLogs({ stdout: ['a'.repeat(60), 'b'.repeat(60)], stderr: ['c'] }, 100);
    expect(cut).toEqual({
      stdout: ['a'.repeat(60), 'b'.repeat(39), logTruncatedLine(100)],
      stderr: [],
      truncated: true,
    });
    const onStderr = boundedLogs({ stdout: ['a'], stderr: ['x'.repeat(200)] }, 100);
    expect(onStderr.stderr).toEqual(['x'.repeat(98), logTruncatedLine(100)]);
  });

  it('drops what is not a line of text', () => {
    const odd = boundedLogs({ stdout: ['fine', 42 as unknown as string], stderr: [] }, 100);
    expect(odd).toEqual({ stdout: ['fine'], stderr: [] });
  });
});
