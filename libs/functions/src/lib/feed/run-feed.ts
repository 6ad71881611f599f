import { PassThrough, type Readable } from 'node:stream';
import { Inject, Injectable, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { DomainError, NAME_MAX_LENGTH, NAME_PATTERN, type PrintedLog, type Run } from '@dispatch/contracts';
import { METRICS_REGISTRY, type RequestScope } from '@dispatch/platform';
import { feedable } from './feedable.js';
import { sseComment, sseEvent } from '@dispatch/platform';

/** Follows one org may hold open on one process (the CLI's, the console's): none can hold them all. */
export const MAX_FOLLOWS_PER_ORG = 32;
/** Follows one process holds open at once, over every org. */
export const MAX_FOLLOWS = 256;
/**
 * What a follower may leave unread before it is dropped: a reader that stopped reading must not make
 * the platform hold every later run for it. With each run cut to well under it (feedable), the unread
 * runs of every follower together stay under MAX_FOLLOWS times this.
 */
export const MAX_UNREAD_BYTES = 1024 * 1024;
/** A comment this often keeps proxies (nginx, an Ingress) from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** Another process that runs functions of the same installation (a replica), which a feed tells and hears. */
export interface RunRelay {
  /** Local follows changed: which `org/project/function` (or `org/project/` for all) are followed here. */
  followed(keys: string[]): Promise<void>;
  /** Whether a run of this function is followed elsewhere: the hot path's question, a set lookup. */
  wanted(org: string, project: string, functionName: string): boolean;
  /** Sends a run to the replicas that follow it (without waiting: a run never waits for a follower). */
  forward(org: string, project: string, run: Run): void;
  /** Sends what a run printed, as it printed it, to the replicas that follow its function. */
  forwardLog(org: string, project: string, log: PrintedLog): void;
}

interface Follower {
  org: string;
  project: string;
  /** Undefined: every function of the project. */
  functionName?: string;
  /** Whether it wants what runs print as they print it (`log` events), besides the finished runs. */
  logs: boolean;
  stream: PassThrough;
}

/**
 * Runs as they finish, to whoever follows them: `GET /v1/runs?follow=true` (`dispatch logs -f`,
 * `dispatch get runs -f`) answers a stream of server-sent events, one `run` event per finished run of
 * the function (or of every function of the project). Nothing is kept for a follower that was not
 * listening: a follow sees runs that finish after it began, the journal has the ones before.
 *
 * A run asks one map lookup of the feed when nobody follows, so the hot path does not pay for it. In
 * the distributed shape a RunRelay tells the other replicas what is followed here and brings their
 * runs of it; solo has one process and no relay.
 */
@Injectable()
export class RunFeed implements BeforeApplicationShutdown {
  /** By `org/project`. */
  private readonly byProject = new Map<string, Set<Follower>>();
  private readonly perOrg = new Map<string, number>();
  private count = 0;
  private relay?: RunRelay;
  private heartbeat?: NodeJS.Timeout;

  constructor(@Optional() @Inject(METRICS_REGISTRY) registry?: Registry) {
    if (!registry) return;
    const open = () => this.count;
    new Gauge({
      name: 'dispatch_run_followers',
      help: 'Streams of finished runs open now (dispatch logs -f, dispatch get runs -f).',
      registers: [registry],
      collect() {
        this.set(open());
      },
    });
  }

  /** The other replicas, in the distributed shape. */
  relayThrough(relay: RunRelay): void {
    this.relay = relay;
  }

  /** A run finished here: to its followers here, and to the replicas that follow it. */
  finished(scope: RequestScope, run: Run): void {
    const here = this.count > 0 && this.follows(scope.org, scope.project, run.functionName);
    const elsewhere = this.relay?.wanted(scope.org, scope.project, run.functionName) === true;
    if (!here && !elsewhere) return;
    const fed = feedable(run);
    if (here) this.deliver(scope.org, scope.project, fed);
    if (elsewhere) this.relay?.forward(scope.org, scope.project, fed);
  }

  /**
   * Whether what this run prints is followed as it prints it, here or on another replica: then the
   * runtime is asked to pass it on (printed), which costs the run a little.
   */
  printing(scope: RequestScope, functionName: string): boolean {
    return (
      (this.count > 0 && this.follows(scope.org, scope.project, functionName, true)) ||
      this.relay?.wanted(scope.org, scope.project, functionName) === true
    );
  }

  /** A piece of a run's output, printed here just now: to its followers here and elsewhere. */
  printed(scope: RequestScope, log: PrintedLog): void {
    if (this.count > 0) this.deliverLog(scope.org, scope.project, log);
    if (this.relay?.wanted(scope.org, scope.project, log.functionName)) {
      this.relay.forwardLog(scope.org, scope.project, log);
    }
  }

  /** A run that finished on another replica (cut to size there), or here. */
  deliver(org: string, project: string, run: Run): void {
    this.send(org, project, run.functionName, false, () => sseEvent('run', JSON.stringify(run), run.name));
  }

  /** A piece of a run's output, printed on another replica or here. */
  deliverLog(org: string, project: string, log: PrintedLog): void {
    this.send(org, project, log.functionName, true, () => sseEvent('log', JSON.stringify(log)));
  }

  private send(org: string, project: string, functionName: string, log: boolean, make: () => string): void {
    const followers = this.byProject.get(`${org}/${project}`);
    if (!followers) return;
    let event: Buffer | undefined;
    for (const follower of followers) {
      if (follower.functionName !== undefined && follower.functionName !== functionName) continue;
      if (log && !follower.logs) continue;
      event ??= Buffer.from(make());
      const { stream } = follower;
      if (stream.writableLength + stream.readableLength + event.length > MAX_UNREAD_BYTES) {
        // Its connection is closed rather than ended: an ending would wait behind what it left unread.
        this.forget(follower);
        stream.destroy();
        continue;
      }
      stream.write(event);
    }
  }

  private follows(org: string, project: string, functionName: string, logs = false): boolean {
    const followers = this.byProject.get(`${org}/${project}`);
    if (!followers) return false;
    for (const f of followers)
      if ((f.functionName === undefined || f.functionName === functionName) && (!logs || f.logs)) return true;
    return false;
  }

  /**
   * Opens a follow: a stream of server-sent events, ready once the other replicas were told, so runs
   * that start after the answer's headers reach it. Refused past the per-org and per-process bounds.
   */
  async follow(
    scope: RequestScope,
    functionName: string | undefined,
    { logs = false }: { logs?: boolean } = {},
  ): Promise<Readable> {
    if (
      functionName !== undefined &&
      (functionName.length > NAME_MAX_LENGTH || !NAME_PATTERN.test(functionName))
    )
      throw new DomainError(
        'INVALID_ARGUMENT',
        `functionName must name a function, got ${JSON.stringify(functionName.slice(0, 64))}`,
      );
    const held = this.perOrg.get(scope.org) ?? 0;
    if (held >= MAX_FOLLOWS_PER_ORG) {
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        `org ${scope.org} already follows runs on ${MAX_FOLLOWS_PER_ORG} streams; close one first`,
      );
    }
    if (this.count >= MAX_FOLLOWS) {
      throw new DomainError('RESOURCE_EXHAUSTED', 'this server follows as many runs as it can; try later');
    }
    const follower: Follower = {
      org: scope.org,
      project: scope.project,
      functionName,
      logs,
      stream: new PassThrough(),
    };
    const key = `${scope.org}/${scope.project}`;
    const followers = this.byProject.get(key) ?? new Set<Follower>();
    followers.add(follower);
    this.byProject.set(key, followers);
    this.perOrg.set(scope.org, held + 1);
    this.count += 1;
    this.heartbeat ??= setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    // Fastify destroys the stream when the caller goes away; ending it (shutdown, falling behind) too.
    follower.stream.once('close', () => this.forget(follower));
    follower.stream.write(sseComment(`following runs of ${functionName ?? `project ${scope.project}`}`));
    await this.tellRelay();
    return follower.stream;
  }

  /** A stopping process ends every follow, saying why: a follower reconnects to a replica still up. */
  beforeApplicationShutdown(): void {
    for (const followers of this.byProject.values()) {
      for (const follower of followers) this.end(follower, 'the server is stopping');
    }
  }

  private end(follower: Follower, reason: string): void {
    follower.stream.end(sseEvent('end', JSON.stringify({ reason })));
    this.forget(follower);
  }

  private forget(follower: Follower): void {
    const key = `${follower.org}/${follower.project}`;
    const followers = this.byProject.get(key);
    if (!followers?.delete(follower)) return;
    if (followers.size === 0) this.byProject.delete(key);
    const held = (this.perOrg.get(follower.org) ?? 1) - 1;
    if (held > 0) this.perOrg.set(follower.org, held);
    else this.perOrg.delete(follower.org);
    this.count -= 1;
    if (this.count === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
    void this.tellRelay();
  }

  private beat(): void {
    const comment = sseComment('keep-alive');
    for (const followers of this.byProject.values()) {
      for (const { stream } of followers) stream.write(comment);
    }
  }

  private async tellRelay(): Promise<void> {
    if (!this.relay) return;
    const keys = new Set<string>();
    for (const [project, followers] of this.byProject) {
      for (const f of followers) keys.add(`${project}/${f.functionName ?? ''}`);
    }
    await this.relay.followed([...keys]);
  }
}
