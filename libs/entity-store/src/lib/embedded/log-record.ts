import type { Entity } from '@dispatch/contracts';
import type { StoredEntity } from '../records.js';

/** One change, kept in revision order so a watch can resume from any revision still in the log. */
export interface LogRecord {
  revision: number;
  type: 'put' | 'delete';
  key: string;
  entity?: StoredEntity<unknown>;
  previous?: Entity<unknown>;
  created?: boolean;
}
