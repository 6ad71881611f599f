import { describe, expect, it } from '@jest/globals';
import { retryUnsent } from './etcd-store.js';

describe('a call to etcd that never went out', () => {
  const unsent = () => new Error('14 UNAVAILABLE: Channel closed before call started');

  it('is made again on the new channel, and answers', async () => {
    let calls = 0;
    const answer = await retryUnsent(async () => {
      calls += 1;
      if (calls === 1) throw unsent();
      return 'value';
    });
    expect({ answer, calls }).toEqual({ answer: 'value', calls: 2 });
  });

  it('fails as it failed once the attempts are spent', async () => {
    let calls = 0;
    await expect(
      retryUnsent(async () => {
        calls += 1;
        throw unsent();
      }),
    ).rejects.toThrow('Channel closed before call started');
    expect(calls).toBe(3);
  });

  it('is never made again when it may have reached etcd', async () => {
    let calls = 0;
    await expect(
      retryUnsent(async () => {
        calls += 1;
        throw new Error('4 DEADLINE_EXCEEDED: Deadline exceeded');
      }),
    ).rejects.toThrow('Deadline exceeded');
    expect(calls).toBe(1);
  });
});
