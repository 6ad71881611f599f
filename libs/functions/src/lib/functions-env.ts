import { ConfigError, envTypes, parseEnv } from '@dispatch/platform';
import { DEFAULT_LOG_LIMIT_BYTES, FUNCTION_DEFAULTS, type Language } from '@dispatch/runtime';
import { z } from 'zod';
import type { FunctionsConfig } from './functions.config.js';

/** How much of what a function prints one run keeps (DISPATCH_RUN_LOG_LIMIT), in both shapes. */
export function runLogLimitFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<FunctionsConfig, 'logLimitBytes'> {
  // The rest is dropped, and the run's logs marked truncated.
  const { DISPATCH_RUN_LOG_LIMIT } = parseEnv(
    { DISPATCH_RUN_LOG_LIMIT: envTypes.bytes(DEFAULT_LOG_LIMIT_BYTES) },
    env,
  );
  return { logLimitBytes: DISPATCH_RUN_LOG_LIMIT };
}

/** A schema's name as PostgreSQL takes it unquoted. */
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Where the functions service of the distributed shape records runs: a table in PostgreSQL
 * (DISPATCH_POSTGRES_URL), in the schema DISPATCH_POSTGRES_SCHEMA (`dispatch`), shared by its replicas.
 */
export function runJournalFromEnv(env: NodeJS.ProcessEnv = process.env): Pick<FunctionsConfig, 'runJournal'> {
  const { DISPATCH_POSTGRES_URL, DISPATCH_POSTGRES_SCHEMA } = parseEnv(
    {
      DISPATCH_POSTGRES_URL: z
        .string({ error: 'must name the PostgreSQL database runs are recorded in' })
        .regex(
          /^postgres(ql)?:\/\/\S+$/,
          'must be a URL like postgres://dispatch:secret@postgres:5432/dispatch',
        ),
      DISPATCH_POSTGRES_SCHEMA: z
        .string()
        .regex(SQL_NAME, 'must be a lowercase SQL name (letters, digits and _, not starting with a digit)')
        .default('dispatch'),
    },
    env,
  );
  return { runJournal: { postgres: { url: DISPATCH_POSTGRES_URL, schema: DISPATCH_POSTGRES_SCHEMA } } };
}

/**
 * What the functions service of the distributed shape reads from its environment (the chart's
 * settings): how much of a run's output it keeps, and whether functions run as local processes of the
 * service or as Kubernetes workloads, with that runtime's settings.
 */
export function functionsConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Pick<FunctionsConfig, 'logLimitBytes' | 'kubernetes'> {
  const runtime = parseEnv(
    {
      // `process`: functions run as local processes of this service; `kubernetes`: as workloads.
      DISPATCH_FUNCTIONS_RUNTIME: z
        .enum(['process', 'kubernetes'], {
          error: 'must be process or kubernetes',
        })
        .default('process'),
      DISPATCH_KUBERNETES_NAMESPACE: envTypes.optional(),
      /** The runner image, `{language}` standing for nodejs, python3 or java. */
      DISPATCH_KUBERNETES_RUNNER_IMAGE: z
        .string()
        .includes('{language}', { error: 'must contain {language}, e.g. dispatch-runner-{language}:0.1.0' })
        .default('dispatch-runner-{language}:latest'),
      DISPATCH_KUBERNETES_DATA_CLAIM: envTypes.optional(),
      DISPATCH_KUBERNETES_IMAGE_PULL_SECRETS: envTypes.names(),
      DISPATCH_KUBERNETES_MAX_REPLICAS: z.coerce
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .default(10),
      /** How long a function's pods stay with no call before it scales to zero. */
      DISPATCH_KUBERNETES_IDLE_SECONDS: z.coerce
        .number({ error: 'must be a number of seconds' })
        .int('must be a whole number of seconds')
        .min(10, 'must be at least 10 seconds')
        .default(FUNCTION_DEFAULTS.idleMs / 1000),
      /**
       * How long a function's pods may take to be ready (scheduled, pulled, loaded) before its
       * preparation or cold start fails with the reason Kubernetes gives, e.g. that no node has room.
       */
      DISPATCH_KUBERNETES_READY_SECONDS: z.coerce
        .number({ error: 'must be a number of seconds' })
        .int('must be a whole number of seconds')
        .min(10, 'must be at least 10 seconds')
        .default(180),
    },
    env,
  );
  return {
    ...runLogLimitFromEnv(env),
    kubernetes: runtime.DISPATCH_FUNCTIONS_RUNTIME === 'kubernetes' ? kubernetesOf(runtime) : undefined,
  };
}

/** Where function workloads go: the namespace and data volume claim the chart gives this service. */
function kubernetesOf(env: {
  DISPATCH_KUBERNETES_NAMESPACE?: string;
  DISPATCH_KUBERNETES_RUNNER_IMAGE: string;
  DISPATCH_KUBERNETES_DATA_CLAIM?: string;
  DISPATCH_KUBERNETES_IMAGE_PULL_SECRETS: string[];
  DISPATCH_KUBERNETES_MAX_REPLICAS: number;
  DISPATCH_KUBERNETES_IDLE_SECONDS: number;
  DISPATCH_KUBERNETES_READY_SECONDS: number;
}): FunctionsConfig['kubernetes'] {
  const claim = env.DISPATCH_KUBERNETES_DATA_CLAIM;
  if (!claim) {
    throw new ConfigError(
      'invalid configuration:\n  DISPATCH_KUBERNETES_DATA_CLAIM: must name the data volume claim when DISPATCH_FUNCTIONS_RUNTIME is kubernetes',
    );
  }
  return {
    namespace: env.DISPATCH_KUBERNETES_NAMESPACE,
    runnerImage: (language: Language) =>
      env.DISPATCH_KUBERNETES_RUNNER_IMAGE.replaceAll('{language}', language),
    dataClaim: claim,
    imagePullSecrets: env.DISPATCH_KUBERNETES_IMAGE_PULL_SECRETS,
    maxReplicas: env.DISPATCH_KUBERNETES_MAX_REPLICAS,
    defaults: { idleMs: env.DISPATCH_KUBERNETES_IDLE_SECONDS * 1000 },
    readyTimeoutMs: env.DISPATCH_KUBERNETES_READY_SECONDS * 1000,
  };
}
