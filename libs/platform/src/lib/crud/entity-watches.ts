import { PassThrough, type Readable } from 'node:stream';
import { Global, Inject, Injectable, Module, Optional, type BeforeApplicationShutdown } from '@nestjs/common';
import { Gauge, type Registry } from 'prom-client';
import { DomainError } from '@dispatch/contracts';
import { METRICS_REGISTRY } from '../metrics.js';
import type { RequestScope } from '../request-scope.js';
import { sseComment, sseEvent } from '../sse.js';

/** Watches one org may hold open on one process (the console's tabs): none can hold them all. */
export const MAX_WATCHES_PER_ORG = 32;
/** Watches one process holds open at once, over every org. */
export const MAX_WATCHES = 256;
/** What a watcher may leave unread before it is dropped, so a reader that stopped costs little. */
export const MAX_UNREAD_BYTES = 1024 * 1024;
/** A comment this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/** Sends one change to the watcher: `put` with the API's model, or `delete` with the name. */
export type WatchEmit = (event: 'put' | 'delete', data: unknown) => void;

interface Watcher {
  org: string;
  stream: PassThrough;
  close(): Promise<void>;
}

/**
 * Lists that keep themselves current: `GET /v1/<kind>?watch=true` answers server-sent events, `put`
 * (an entity created or changed, as the API shows it) and `delete` ({name}), for every change of that
 * kind in the project from then on, as the store's watch tells them. The console lists, then watches,
 * so statuses move on its pages with no reload. Bounded per org and per process, as follows of runs are.
 */
@Injectable()
export class EntityWatches implements BeforeApplicationShutdown {
  private readonly watchers = new Set<Watcher>();
  private readonly perOrg = new Map<string, number>();
  private heartbeat?: NodeJS.Timeout;

  constructor(@Optional() @Inject(METRICS_REGISTRY) registry?: Registry) {
    if (!registry) return;
    const open = () => this.watchers.size;
    new Gauge({
      name: 'dispatch_list_watchers',
      help: 'Watches of a kind open now (the console keeping its lists current).',
      registers: [registry],
      collect() {
        this.set(open());
      },
    });
  }

  /** Opens a watch; `start` begins the store's watch, sending each change through `emit`. */
  async open(
    scope: RequestScope,
    what: string,
    start: (emit: WatchEmit) => Promise<{ close(): Promise<void> }>,
  ): Promise<Readable> {
    const held = this.perOrg.get(scope.org) ?? 0;
    if (held >= MAX_WATCHES_PER_ORG)
      throw new DomainError(
        'RESOURCE_EXHAUSTED',
        `org ${scope.org} already watches ${MAX_WATCHES_PER_ORG} lists on this server; close one first`,
      );
    if (this.watchers.size >= MAX_WATCHES)
      throw new DomainError('RESOURCE_EXHAUSTED', 'this server holds as many watches as it can; try later');
    const stream = new PassThrough();
    const watcher: Watcher = { org: scope.org, stream, close: async () => undefined };
    this.watchers.add(watcher);
    this.perOrg.set(scope.org, held + 1);
    this.heartbeat ??= setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    stream.once('close', () => void this.forget(watcher));
    const emit: WatchEmit = (event, data) => {
      if (!this.watchers.has(watcher)) return;
      const text = sseEvent(event, JSON.stringify(data));
      if (stream.writableLength + stream.readableLength + text.length > MAX_UNREAD_BYTES) {
        // Closed rather than ended: an ending would wait behind what it left unread.
        void this.forget(watcher);
        stream.destroy();
        return;
      }
      stream.write(text);
    };
    try {
      const store = await start(emit);
      watcher.close = () => store.close();
      // The caller may have gone while the store's watch started.
      if (!this.watchers.has(watcher)) await store.close();
    } catch (err) {
      await this.forget(watcher);
      throw err;
    }
    stream.write(sseComment(`watching ${what} of project ${scope.project}`));
    return stream;
  }

  /** A stopping process ends every watch, saying why: the console opens it again on a replica still up. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(
      [...this.watchers].map(async (watcher) => {
        watcher.stream.end(sseEvent('end', JSON.stringify({ reason: 'the server is stopping' })));
        await this.forget(watcher);
      }),
    );
  }

  private async forget(watcher: Watcher): Promise<void> {
    if (!this.watchers.delete(watcher)) return;
    const held = (this.perOrg.get(watcher.org) ?? 1) - 1;
    if (held > 0) this.perOrg.set(watcher.org, held);
    else this.perOrg.delete(watcher.org);
    if (this.watchers.size === 0) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
    await watcher.close().catch(() => undefined);
  }

  private beat(): void {
    const comment = sseComment('keep-alive');
    for (const { stream } of this.watchers) stream.write(comment);
  }
}

/** Every process's watches, whichever domain's kinds it serves. */
@Global()
@Module({ providers: [EntityWatches], exports: [EntityWatches] })
export class WatchesModule {}
