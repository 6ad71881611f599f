import type { Language } from './protocol.js';

/** The phases of a cold start: a process spawned, the function loaded into it, its first run. */
export type ColdStartPhase = 'spawn' | 'load' | 'first-run';

/**
 * What a runtime tells of its work, for metrics (the functions domain's): each phase of a cold start and
 * each call a warm process took. `identity` is the function's (`org/project/name`).
 */
export interface RuntimeObserver {
  coldStartPhase(identity: string, language: Language, phase: ColdStartPhase, seconds: number): void;
  warmHit(identity: string, language: Language): void;
}

/** A function version's processes right now: how many are up, and how many calls wait for one. */
export interface PoolState {
  identity: string;
  runners: number;
  queued: number;
}
