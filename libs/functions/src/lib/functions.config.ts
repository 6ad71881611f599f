import type { KubernetesRuntimeOptions, ProcessRuntimeOptions } from '@dispatch/runtime';
import type { PostgresJournalOptions } from './journal/postgres-run-journal.js';

export interface FunctionsConfig {
  /** Prepared code goes under `<dataDir>/functions/<org>/<project>/<name>/<revision>`. */
  dataDir: string;
  /** Runs kept per function; older ones are deleted. */
  runRetention?: number;
  /** How much of what a function prints a run keeps (DEFAULT_LOG_LIMIT_BYTES, about 1 MB, when unset). */
  logLimitBytes?: number;
  /**
   * Where runs are recorded: `embedded` (the default) is a journal file of its own in the data directory
   * (solo); `postgres` is a table in PostgreSQL, shared by every replica (the distributed shape).
   */
  runJournal?: 'embedded' | { postgres: PostgresJournalOptions };
  runtime?: ProcessRuntimeOptions;
  /**
   * Serve the run channel (`GET /v1/runs/channel`, contracts' run-channel.ts) on the service's port: how
   * the gateway and events services run functions in the distributed shape. Solo has no use for it.
   */
  runChannel?: boolean;
  /**
   * A channel connection with nothing in flight and no call or answer for this long (up to twice it;
   * bytes of an unfinished line do not count) is told `goaway` and closed: an upgraded socket escapes
   * the HTTP server's keep-alive timeout, so without this a holder of any valid credential could keep
   * connections open forever. Callers open a new one on their next call. Default 60000 ms.
   */
  runChannelIdleMs?: number;
  /**
   * Other replicas run functions of the same installation (the distributed shape): follows of runs
   * (`GET /v1/runs?follow=true`) are announced to them over the message bus, and their runs of what is
   * followed here relayed back (BusRunRelay). Solo, one process, has no use for it.
   */
  replicated?: boolean;
  /**
   * How often a function waiting for its image looks at it again. The image's READY event nudges it
   * sooner; this is the backstop for a missed event. Default 2000 ms.
   */
  imageRetryMs?: number;
  /**
   * Run functions as Kubernetes workloads instead of local processes: each version a Deployment of its
   * language's runner image with its code mounted from the data volume (the claim named here).
   */
  /** The namespace defaults to the one of the kubeconfig's context: in a pod, the pod's own. */
  kubernetes?: Omit<KubernetesRuntimeOptions, 'kubeConfig' | 'dataDir' | 'namespace'> & {
    namespace?: string;
  };
}

export const FUNCTIONS_CONFIG = Symbol.for('dispatch.functions-config');
