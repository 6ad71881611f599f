import type { Watch } from '../entity-store.js';
import type { LogRecord } from './log-record.js';

interface Subscriber {
  queue: LogRecord[];
  /** Highest revision already queued: a change committed while the backlog was read is not sent twice. */
  last: number;
  scheduled: boolean;
  closed: boolean;
  /** Whether the watcher wants a change at all: checked on publish so others' writes cost it nothing. */
  wants: (record: LogRecord) => boolean;
  deliver: (record: LogRecord) => void;
  onError?: (err: Error) => void;
}

/**
 * Fans committed changes out to watchers. Each watcher has its own queue drained on a later tick, so a
 * slow or throwing handler never holds up a writer or another watcher, and each sees changes in
 * revision order.
 */
export class WatchHub {
  private readonly subscribers = new Set<Subscriber>();

  /** Changes are published strictly in revision order; ones that commit out of order wait here. */
  private readonly pending = new Map<number, LogRecord>();

  constructor(private published: number) {}

  add(
    backlog: LogRecord[],
    current: number,
    watcher: Pick<Subscriber, 'wants' | 'deliver' | 'onError'>,
  ): Watch {
    const last = Math.max(current, backlog[backlog.length - 1]?.revision ?? 0);
    const sub: Subscriber = {
      queue: backlog.filter(watcher.wants),
      last,
      scheduled: false,
      closed: false,
      ...watcher,
    };
    this.subscribers.add(sub);
    this.schedule(sub);
    return {
      close: async () => {
        sub.closed = true;
        this.subscribers.delete(sub);
      },
    };
  }

  publish(changes: LogRecord[]): void {
    for (const change of changes) this.pending.set(change.revision, change);
    const ready: LogRecord[] = [];
    for (let next = this.pending.get(this.published + 1); next; next = this.pending.get(this.published + 1)) {
      this.pending.delete(next.revision);
      this.published = next.revision;
      ready.push(next);
    }
    if (ready.length === 0) return;
    for (const sub of this.subscribers) {
      for (const record of ready) {
        if (record.revision <= sub.last) continue;
        sub.last = record.revision;
        if (sub.wants(record)) sub.queue.push(record);
      }
      this.schedule(sub);
    }
  }

  closeAll(): void {
    for (const sub of this.subscribers) sub.closed = true;
    this.subscribers.clear();
  }

  private schedule(sub: Subscriber): void {
    if (sub.scheduled || sub.queue.length === 0) return;
    sub.scheduled = true;
    setImmediate(() => this.drain(sub));
  }

  private drain(sub: Subscriber): void {
    sub.scheduled = false;
    while (!sub.closed && sub.queue.length > 0) {
      const record = sub.queue.shift() as LogRecord;
      try {
        sub.deliver(record);
      } catch (err) {
        // A handler that throws ends its own watch, as a broken etcd watch stream would.
        sub.closed = true;
        this.subscribers.delete(sub);
        sub.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }
}
