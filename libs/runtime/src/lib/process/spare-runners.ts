import type { Language } from '../protocol.js';
import type { RunnerProcess } from './runner-process.js';

/** A spare no cold start has taken for this long is stopped; the next cold start begins another. */
export const SPARE_IDLE_MS = 10 * 60_000;
/**
 * Spares kept of each kind, as OpenWhisk's default stem cells: two, so that the cold start right after
 * a function's creation (whose handler check took one) still finds one up, as do two cold starts at once.
 */
export const SPARES_PER_KIND = 2;
/** The most kinds of spare kept at once; past it the one taken least recently goes. */
export const MAX_SPARE_KINDS = 8;

/** What a spare is started for: functions of one language, memory size and image. */
export interface SpareKind {
  language: Language;
  memoryMb: number;
  /** The image's dependencies, which the spare's sandbox mounts. */
  dependenciesDir?: string;
}

interface Slot {
  kind: SpareKind;
  /** Up and waiting, the most recently started last. */
  runners: RunnerProcess[];
  starting?: Promise<void>;
  idle?: NodeJS.Timeout;
  /** Evicted or closed: whatever still comes up for it is stopped. */
  gone?: boolean;
}

/**
 * Runners started before their function is known, SPARES_PER_KIND per kind (language, memory, image),
 * as OpenWhisk keeps "stem cell" containers: a cold start takes a spare, whose sandbox and interpreter
 * are already up, and sends it the function's code and user (RunnerProcess.adopt), so it pays for a
 * load rather than for an interpreter's start. A spare serves one function and is never handed back;
 * taking one starts the next (one at a time, so refilling never takes more than a core). A kind gets
 * its spares at its first cold start (an instance that runs no python has no python spare), and loses
 * them after SPARE_IDLE_MS without a cold start, or when MAX_SPARE_KINDS other kinds were taken since.
 */
export class SpareRunners {
  /** In the order they were last taken from, the least recent first. */
  private readonly slots = new Map<string, Slot>();
  private closed = false;

  constructor(
    private readonly start: (kind: SpareKind) => Promise<RunnerProcess>,
    private readonly limits = { perKind: SPARES_PER_KIND, kinds: MAX_SPARE_KINDS, idleMs: SPARE_IDLE_MS },
  ) {}

  /** How many spares are up and waiting for a function (of one language, when given). */
  readyOf(language?: string): number {
    let count = 0;
    for (const slot of this.slots.values())
      if (language === undefined || slot.kind.language === language)
        count += slot.runners.filter((r) => r.alive).length;
    return count;
  }

  get ready(): number {
    return this.readyOf();
  }

  /** A ready spare of this kind, if there is one; either way the kind is refilled. */
  take(kind: SpareKind): RunnerProcess | undefined {
    if (this.closed) return undefined;
    const key = JSON.stringify([kind.language, kind.memoryMb, kind.dependenciesDir ?? null]);
    const slot = this.slots.get(key) ?? { kind, runners: [] };
    this.slots.delete(key);
    this.slots.set(key, slot);
    this.evictPast(this.limits.kinds);
    slot.runners = slot.runners.filter((r) => r.alive);
    // The most recently started: on a host that lets an idle process's memory go cold, the quickest.
    const runner = slot.runners.pop();
    this.refill(slot);
    clearTimeout(slot.idle);
    slot.idle = setTimeout(() => this.retire(key, slot), this.limits.idleMs);
    slot.idle.unref();
    return runner;
  }

  /** Stops every spare, waiting until each is gone, and starts none after. */
  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots.values()];
    this.slots.clear();
    const stopped = slots.map((slot) => this.stop(slot));
    await Promise.all(slots.map((slot) => slot.starting));
    await Promise.all(stopped);
  }

  /** Stops the spares of the kinds taken least recently, keeping `limit` kinds. */
  private evictPast(limit: number): void {
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= limit) return;
      this.retire(key, slot);
    }
  }

  private retire(key: string, slot: Slot): void {
    if (this.slots.get(key) === slot) this.slots.delete(key);
    void this.stop(slot);
  }

  private stop(slot: Slot): Promise<unknown> {
    slot.gone = true;
    clearTimeout(slot.idle);
    return Promise.all(slot.runners.splice(0).map((runner) => runner.kill()));
  }

  /** Starts spares one after another until the kind has its number. */
  private refill(slot: Slot): void {
    if (slot.starting || slot.gone || slot.runners.length >= this.limits.perKind) return;
    slot.starting = this.start(slot.kind).then(
      async (runner) => {
        slot.starting = undefined;
        // Evicted or closed meanwhile: gone before anyone waiting on the start goes on.
        if (slot.gone || this.closed) return runner.kill();
        slot.runners.push(runner);
        this.refill(slot);
      },
      // No spare this time (the host is short of something): cold starts go on without one, and the
      // next one tries again.
      () => void (slot.starting = undefined),
    );
  }
}
