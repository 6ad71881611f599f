import { describe, expect, it } from '@jest/globals';
import { functionsConfigFromEnv, runJournalFromEnv } from './functions-env.js';

const kubernetes = {
  DISPATCH_FUNCTIONS_RUNTIME: 'kubernetes',
  DISPATCH_KUBERNETES_DATA_CLAIM: 'dispatch-data',
  DISPATCH_KUBERNETES_RUNNER_IMAGE: 'registry.example.com/dispatch-runner-{language}:0.1.0',
};

describe('the functions service settings', () => {
  it('runs functions as local processes unless told kubernetes', () => {
    expect(functionsConfigFromEnv({}).kubernetes).toBeUndefined();
  });

  it('takes the Kubernetes runtime settings, idle time to scale to zero and ready time included', () => {
    const config = functionsConfigFromEnv({
      ...kubernetes,
      DISPATCH_KUBERNETES_IDLE_SECONDS: '30',
      DISPATCH_KUBERNETES_READY_SECONDS: '45',
    }).kubernetes;
    expect(config?.readyTimeoutMs).toBe(45_000);
    expect(functionsConfigFromEnv(kubernetes).kubernetes?.readyTimeoutMs).toBe(180_000);
    expect(config?.dataClaim).toBe('dispatch-data');
    expect(config?.runnerImage('python3')).toBe('registry.example.com/dispatch-runner-python3:0.1.0');
    expect(config?.defaults).toEqual({ idleMs: 30_000 });
    expect(functionsConfigFromEnv(kubernetes).kubernetes?.defaults).toEqual({ idleMs: 300_000 });
  });

  it('refuses an idle or ready time it cannot honour, naming the setting', () => {
    expect(() => functionsConfigFromEnv({ ...kubernetes, DISPATCH_KUBERNETES_READY_SECONDS: '0' })).toThrow(
      /DISPATCH_KUBERNETES_READY_SECONDS: must be at least 10 seconds/,
    );
    expect(() => functionsConfigFromEnv({ ...kubernetes, DISPATCH_KUBERNETES_IDLE_SECONDS: '2' })).toThrow(
      /DISPATCH_KUBERNETES_IDLE_SECONDS: must be at least 10 seconds/,
    );
    expect(() => functionsConfigFromEnv({ ...kubernetes, DISPATCH_KUBERNETES_IDLE_SECONDS: 'soon' })).toThrow(
      /DISPATCH_KUBERNETES_IDLE_SECONDS: must be a number of seconds/,
    );
  });

  it('records runs in the PostgreSQL database it is given, in the schema dispatch unless told', () => {
    const url = 'postgres://dispatch:secret@postgres:5432/dispatch';
    expect(runJournalFromEnv({ DISPATCH_POSTGRES_URL: url }).runJournal).toEqual({
      postgres: { url, schema: 'dispatch' },
    });
    expect(
      runJournalFromEnv({ DISPATCH_POSTGRES_URL: url, DISPATCH_POSTGRES_SCHEMA: 'tenant_a' }).runJournal,
    ).toEqual({ postgres: { url, schema: 'tenant_a' } });
  });

  it('refuses to start without the database, or with a bad one, and never prints its password', () => {
    expect(() => runJournalFromEnv({})).toThrow(/DISPATCH_POSTGRES_URL: must name the PostgreSQL database/);
    const bad = () => runJournalFromEnv({ DISPATCH_POSTGRES_URL: 'mysql://dispatch:hunter2@db/dispatch' });
    expect(bad).toThrow(/DISPATCH_POSTGRES_URL: must be a URL like postgres:/);
    expect(bad).toThrow(/mysql:\/\/dispatch:\*\*\*@db\/dispatch/);
    expect(bad).not.toThrow(/hunter2/);
    expect(() =>
      runJournalFromEnv({ DISPATCH_POSTGRES_URL: 'postgres://db/x', DISPATCH_POSTGRES_SCHEMA: 'Tenant-A' }),
    ).toThrow(/DISPATCH_POSTGRES_SCHEMA: must be a lowercase SQL name/);
  });
});
