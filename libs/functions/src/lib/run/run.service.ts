import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  DomainError,
  FUNCTION_KIND,
  type Caller,
  type Entity,
  type FunctionInvoker,
  type FunctionSpec,
  type InvocationError,
  type InvocationRequest,
  recordedHttpContext,
  type Run,
  SECRETS_RESOLVER,
  type SecretsResolver,
} from '@dispatch/contracts';
import { AccessControl } from '@dispatch/auth';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import { activeTracer, inSpan, SpanKind, traceHeaders, type RequestScope } from '@dispatch/platform';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  boundedLogs,
  DEFAULT_LOG_LIMIT_BYTES,
  type Language,
  type LogListener,
  type FunctionRuntime,
  type RunResponse,
  VersionRetired,
} from '@dispatch/runtime';
import { FUNCTIONS_CONFIG, type FunctionsConfig } from '../functions.config.js';
import { FUNCTION_RUNTIME } from '../runtime.provider.js';
import { NoSecretsResolver } from '../secrets/secrets-resolver.js';
import { FunctionCatalog } from '../function/function.catalog.js';
import { RUN_JOURNAL, type RunJournal } from '../journal/run-journal.js';
import { FunctionMetrics } from '../function-metrics.js';
import { RunFeed } from '../feed/run-feed.js';
import { runId } from './run-id.js';
import { SchemaValidator } from '../schema-validator.js';

const DEFAULT_TIMEOUT_MS = 30_000;
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Executes functions: input schema, secrets into `context.secrets`, the run with its deadline, output
 * schema; every execution is a Run, stored and listable. Failures of the function are part of the Run
 * (`error` with InputError, FunctionError or SystemError), not errors of the call.
 */
@Injectable()
export class RunService implements FunctionInvoker, BeforeApplicationShutdown {
  private readonly logger = new Logger('runs');
  /** Work that outlives its call: non-blocking runs, and the records written behind blocking ones. */
  private readonly behind = new Set<Promise<unknown>>();
  /** Named runs started here and not yet recorded, by `<org>/<project>/<function>/<name>`. */
  private readonly underWay = new Map<string, Promise<Run>>();

  constructor(
    @Inject(ENTITY_STORE) private readonly store: EntityStore,
    @Inject(FUNCTION_RUNTIME) private readonly runtime: FunctionRuntime,
    // The secrets domain provides it globally where it runs in this process; otherwise no secret resolves.
    @Optional() @Inject(SECRETS_RESOLVER) private readonly secrets: SecretsResolver = new NoSecretsResolver(),
    @Inject(FUNCTIONS_CONFIG) private readonly config: FunctionsConfig,
    private readonly schemas: SchemaValidator,
    @Inject(RUN_JOURNAL) private readonly runs: RunJournal,
    private readonly catalog: FunctionCatalog,
    @Optional() private readonly access?: AccessControl,
    @Optional() private readonly metrics?: FunctionMetrics,
    @Optional() private readonly feed?: RunFeed,
  ) {}

  /**
   * Blocking: resolves with the finished Run. Otherwise: resolves with the accepted Run at once.
   * `caller` is who asked, when a caller of the API did: the secrets it names are its to use. Dispatch's
   * own calls (an endpoint's, an event's) have none; their secrets were decided when they were written.
   */
  async run(scope: RequestScope, request: InvocationRequest, caller?: Caller): Promise<Run> {
    // Refused before anything runs or is recorded: naming a secret is using it.
    if (request.secrets?.length) this.access?.authorizeSecrets(caller, scope.org, request.secrets);
    // The catalog answers the hot path without a turn of the event loop; the store the rest.
    const fn =
      this.catalogued(scope, request.functionName) ?? (await this.readyFunction(scope, request.functionName));
    if (!request.name) return this.start(scope, fn, request).answer;
    // Done, or under way: the same call again is answered by that run. A failed one runs again. Under
    // way is known here until its record is written (a redelivered event while the first delivery runs).
    const key = `${scope.org}/${scope.project}/${fn.name}/${request.name}`;
    const underWay = this.underWay.get(key);
    if (underWay) return underWay;
    const earlier = await this.runs.get(scope, fn.name, request.name).catch(() => undefined);
    if (earlier && earlier.status !== 'ERROR') return earlier;
    const raced = this.underWay.get(key);
    if (raced) return raced;
    const { answer, recorded } = this.start(scope, fn, request);
    this.underWay.set(key, answer);
    void recorded.finally(() => this.underWay.delete(key));
    return answer;
  }

  /** Starts a run: its answer (the finished run, or the accepted one), and when its record is written. */
  private start(
    scope: RequestScope,
    fn: Entity<FunctionSpec>,
    request: InvocationRequest,
  ): { answer: Promise<Run>; recorded: Promise<unknown> } {
    const named = { named: request.name !== undefined };
    const run: Run = {
      // Time-ordered unless the caller names it.
      name: request.name ?? runId(),
      functionName: fn.name,
      functionId: fn.id,
      blocking: request.blocking ?? true,
      input: request.input ?? null,
      output: null,
      error: null,
      logs: { stdout: [], stderr: [] },
      event: request.event,
      // The record (and the answer) never holds a caller's credentials; the function may (see execute).
      httpContext: recordedHttpContext(request.httpContext),
      // The names, never the values: the function's own secrets, then those named for this run.
      secrets: [...new Set([...(fn.spec.secrets ?? []), ...(request.secrets ?? [])])],
      status: 'INITIALIZED',
      reason: [],
      tags: request.tags ?? [],
      executedTime: nowSeconds(),
      finishedTime: 0,
      durationMs: 0,
    };
    if (run.blocking) {
      const answer = this.execute(scope, fn, run, request.httpContext);
      // The caller has its result: the record is written behind it, as OpenWhisk stores activations,
      // so a run does not wait for the store's disk sync. A call refused before it ran has no record.
      const recorded = answer.then(
        (finished) =>
          this.runs
            .save(scope, finished, named)
            .catch((err: unknown) => this.logger.error(`storing run ${run.name}: ${(err as Error).message}`)),
        () => undefined,
      );
      this.keep(recorded);
      return { answer, recorded };
    }
    const accepted = this.runs.save(scope, run, named);
    const recorded = accepted.then(
      () =>
        this.execute(scope, fn, run, request.httpContext)
          .then((finished) => this.runs.save(scope, finished, named))
          .catch((err: unknown) =>
            this.logger.error(`run ${run.name} of ${fn.name}: ${(err as Error).message}`),
          ),
      () => undefined,
    );
    this.keep(recorded);
    return { answer: accepted.then(() => run), recorded };
  }

  /**
   * A stopping process (SIGTERM: a rollout, a scale-down) finishes the runs it accepted and records
   * them before the runtime and the store close, so an accepted run is never left unfinished.
   */
  async beforeApplicationShutdown(): Promise<void> {
    while (this.behind.size > 0) await Promise.allSettled([...this.behind]);
  }

  private keep(work: Promise<unknown>): void {
    this.behind.add(work);
    void work.finally(() => this.behind.delete(work));
  }

  get(scope: RequestScope, functionName: string | undefined, runName: string): Promise<Run> {
    return this.runs.get(scope, functionName, runName);
  }

  list(scope: RequestScope, functionName: string | undefined, since?: number): Promise<Run[]> {
    return this.runs.list(scope, functionName, since);
  }

  /** When someone follows what the function prints: where its output goes as it is printed. */
  private printedBy(scope: RequestScope, run: Run): LogListener | undefined {
    const feed = this.feed;
    if (!feed?.printing(scope, run.functionName)) return undefined;
    return (stream, text) =>
      feed.printed(scope, { functionName: run.functionName, run: run.name, stream, text });
  }

  private catalogued(scope: RequestScope, name: string): Entity<FunctionSpec> | undefined {
    const cached = this.catalog.get(scope, name);
    // Only READY: while an update is under way the catalog's watch may lag the store, and a caller who
    // has just seen the new version READY must get it (read from the store, for that short while).
    return cached?.status === 'READY' && servable(cached) ? cached : undefined;
  }

  /** From the store: what the catalog's watch has not brought yet. */
  private async readyFunction(scope: RequestScope, name: string): Promise<Entity<FunctionSpec>> {
    const fn = await this.store.get<FunctionSpec>({ ...scope, kind: FUNCTION_KIND, name });
    if (servable(fn)) return fn;
    const why = fn.status === 'ERROR' ? `: ${fn.reason.join('; ')}` : '; wait until it is READY';
    throw new DomainError('INVALID_ARGUMENT', `function ${name} is ${fn.status}${why}`);
  }

  /** Runs it, in a span of its own when tracing is on: a failed run is a failed span, with its reason. */
  private execute(
    scope: RequestScope,
    fn: Entity<FunctionSpec>,
    run: Run,
    httpContext: Record<string, unknown> | undefined,
  ): Promise<Run> {
    if (!activeTracer()) return this.executeRun(scope, fn, run, httpContext);
    const attributes = {
      'dispatch.org': scope.org,
      'dispatch.project': scope.project,
      'dispatch.function': fn.name,
      'dispatch.run': run.name,
    };
    return inSpan(`run ${fn.name}`, { attributes }, async (span) => {
      const finished = await this.executeRun(scope, fn, run, httpContext);
      if (finished.error) {
        span?.setStatus({
          code: SpanStatusCode.ERROR,
          message: `${finished.error.type}: ${finished.error.message}`,
        });
      }
      return finished;
    });
  }

  /** Runs it; `httpContext` is the request as the function sees it, which its record does not keep. */
  private async executeRun(
    scope: RequestScope,
    fn: Entity<FunctionSpec>,
    run: Run,
    httpContext: Record<string, unknown> | undefined,
  ): Promise<Run> {
    const started = performance.now();
    const logLimitBytes = this.config.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES;
    const finish = (response: Partial<RunResponse> & { error?: InvocationError | null }): Run => {
      const error = response.error ?? response.context?.error ?? null;
      const finished: Run = {
        ...run,
        output: error ? null : (response.payload ?? null),
        error,
        // The runner cuts at the limit; the record holds it there whatever a runner says.
        logs: response.context?.logs ? boundedLogs(response.context.logs, logLimitBytes) : run.logs,
        status: error ? 'ERROR' : 'READY',
        reason: error ? [`${error.type}: ${error.message}`] : [],
        finishedTime: nowSeconds(),
        durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      };
      this.metrics?.observe(scope, finished, response.timedOut === true);
      this.feed?.finished(scope, finished);
      return finished;
    };

    const inputProblem = fn.spec.schema?.in && this.schemas.problem(fn.spec.schema.in, run.input);
    if (inputProblem) return finish({ error: { type: 'InputError', message: `the input ${inputProblem}` } });

    let secrets: Record<string, unknown> = {};
    try {
      if (run.secrets.length > 0) secrets = await this.secrets.resolve(scope.org, scope.project, run.secrets);
    } catch (err) {
      // A secret the run names that is not there is the caller's to fix; the secrets service refusing
      // or failing Dispatch's own call is not.
      const named =
        err instanceof DomainError && (err.code === 'NOT_FOUND' || err.code === 'INVALID_ARGUMENT');
      const type = named ? 'InputError' : 'SystemError';
      return finish({ error: { type, message: (err as Error).message } });
    }

    const context: Record<string, unknown> = { secrets };
    if (run.event) context['event'] = run.event;
    if (httpContext) context['httpContext'] = httpContext;
    const invoke = (current: Entity<FunctionSpec>) => {
      const backing = current.spec.backingObject as NonNullable<FunctionSpec['backingObject']>;
      if (activeTracer()) {
        // The runner's call in a span whose context the function gets as `context.traceparent`: what
        // its own spans (and calls) name as their parent.
        return inSpan(
          `runner ${backing.language}`,
          { kind: SpanKind.CLIENT, attributes: { 'dispatch.language': backing.language } },
          () => {
            Object.assign(context, traceHeaders());
            return send(current, backing);
          },
        );
      }
      return send(current, backing);
    };
    const send = (current: Entity<FunctionSpec>, backing: NonNullable<FunctionSpec['backingObject']>) => {
      return this.runtime.invoke(
        {
          key: backing.key,
          identity: `${current.org}/${current.project}/${current.name}`,
          language: backing.language as Language,
          codeDir: backing.codeDir,
          handler: backing.handler,
          dependenciesDir: backing.dependenciesDir,
          uid: backing.uid,
          timeoutMs: current.spec.timeout ?? DEFAULT_TIMEOUT_MS,
        },
        { context, payload: run.input, logLimitBytes, onLog: this.printedBy(scope, run) },
      );
    };
    // Read just before an update took its version away: the call goes to the version now READY.
    const response = await invoke(fn).catch(async (err: unknown) => {
      if (!(err instanceof VersionRetired)) throw err;
      return invoke(await this.readyFunction(scope, fn.name));
    });
    if (!response.context.error && fn.spec.schema?.out) {
      const outputProblem = this.schemas.problem(fn.spec.schema.out, response.payload);
      if (outputProblem) {
        return finish({
          ...response,
          error: { type: 'FunctionError', message: `the output ${outputProblem}` },
        });
      }
    }
    return finish(response);
  }
}

/** READY, or UPDATING: an update in progress keeps serving the previous READY version. */
function servable(fn: Entity<FunctionSpec>): boolean {
  return fn.spec.backingObject !== undefined && (fn.status === 'READY' || fn.status === 'UPDATING');
}
