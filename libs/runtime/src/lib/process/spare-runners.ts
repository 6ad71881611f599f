import type { Language } from '../protocol.js';
import type { RunnerProcess } from './runner-process.js';

/** A spare no cold start has taken for this long is stopped; the next cold start begins another. */
export const SPARE_IDLE_MS = 10 * 60_000;
/** The most kinds of spare kept at once; past it the one taken least recently goes. */
export const MAX_SPARE_KINDS = 16;

/** What a spare is started for: functions of one language, memory size and image. */
export interface SpareKind {
  language: Language;
  memoryMb: number;
  /** The image's dependencies, which the spare's sandbox mounts. */
  dependenciesDir?: string;
}

interface Slot {
  runner?: RunnerProcess;
  starting?: Promise<void>;
  idle?: NodeJS.Timeout;
}

/**
 * Runners started before their function is known, one per kind (language, memory, image), as OpenWhisk
 * keeps "stem cell" containers: a cold start takes the spare, whose sandbox and interpreter are already
 * up, and sends it the function's code and user (RunnerProcess.adopt), so it pays for a load rather
 * than for an interpreter's start. A spare serves one function and is never handed back; taking it
 * starts the next one. A kind gets its spare at its first cold start (an instance that runs no python
 * has no python spare), and loses it after SPARE_IDLE_MS without one, or when MAX_SPARE_KINDS others
 * were taken since.
 */
export class SpareRunners {
  /** In the order they were last taken from, the least recent first. */
  private readonly slots = new Map<string, Slot>();
  private closed = false;

  constructor(
    private readonly start: (kind: SpareKind) => Promise<RunnerProcess>,
    private readonly idleMs = SPARE_IDLE_MS,
    private readonly maxKinds = MAX_SPARE_KINDS,
  ) {}

  /** How many spares are up and waiting for a function. */
  get ready(): number {
    let count = 0;
    for (const slot of this.slots.values()) if (slot.runner?.alive) count += 1;
    return count;
  }

  /** The ready spare of this kind, if there is one; either way another is on its way. */
  take(kind: SpareKind): RunnerProcess | undefined {
    if (this.closed) return undefined;
    const key = JSON.stringify([kind.language, kind.memoryMb, kind.dependenciesDir ?? null]);
    const slot = this.slots.get(key) ?? {};
    this.slots.delete(key);
    this.slots.set(key, slot);
    this.evictPast(this.maxKinds);
    const runner = slot.runner;
    slot.runner = undefined;
    clearTimeout(slot.idle);
    if (!slot.starting) this.refill(slot, kind);
    return runner?.alive ? runner : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const slot of slots) clearTimeout(slot.idle);
    await Promise.all(slots.map((slot) => slot.starting));
    await Promise.all(slots.map((slot) => slot.runner?.kill()));
  }

  /** Stops the spares of the kinds taken least recently, keeping `limit` kinds. */
  private evictPast(limit: number): void {
    for (const [key, slot] of this.slots) {
      if (this.slots.size <= limit) return;
      this.slots.delete(key);
      clearTimeout(slot.idle);
      void slot.runner?.kill();
      slot.runner = undefined;
      // One still starting is stopped as it comes up: its slot is no longer anyone's.
      void slot.starting?.then(() => slot.runner?.kill());
    }
  }

  private refill(slot: Slot, kind: SpareKind): void {
    slot.starting = this.start(kind)
      .then(
        (runner) => {
          if (this.closed) return void runner.kill();
          slot.runner = runner;
          slot.idle = setTimeout(() => {
            if (slot.runner !== runner) return;
            slot.runner = undefined;
            void runner.kill();
          }, this.idleMs);
          slot.idle.unref();
        },
        // No spare this time (the host is short of something): cold starts go on without one, and the
        // next one tries again.
        () => undefined,
      )
      .finally(() => (slot.starting = undefined));
  }
}
