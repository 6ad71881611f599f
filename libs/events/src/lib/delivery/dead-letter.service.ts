import { Inject, Injectable } from '@nestjs/common';
import {
  DEAD_LETTER_KIND,
  DomainError,
  toApiModel,
  type DeadLetter,
  type DeadLetterSpec,
  type Entity,
} from '@dispatch/contracts';
import { ENTITY_STORE, type EntityStore } from '@dispatch/entity-store';
import type { RequestScope } from '@dispatch/platform';

/**
 * Events a subscription could not deliver within its attempts: kept, listable per subscription, and
 * deleted by the user once dealt with. One record per subscription and event id.
 */
@Injectable()
export class DeadLetterService {
  constructor(@Inject(ENTITY_STORE) private readonly store: EntityStore) {}

  async record(scope: RequestScope, name: string, spec: DeadLetterSpec): Promise<void> {
    try {
      await this.store.create<DeadLetterSpec>({
        ...scope,
        kind: DEAD_LETTER_KIND,
        name,
        status: 'ERROR',
        reason: [spec.error],
        spec,
      });
    } catch (err) {
      // Delivered again after a restart and failed again: the record is already there.
      if (!(err instanceof DomainError && err.code === 'ALREADY_EXISTS')) throw err;
    }
  }

  async list(scope: RequestScope, subscription?: string): Promise<DeadLetter[]> {
    const all = await this.store.list<DeadLetterSpec>({ ...scope, kind: DEAD_LETTER_KIND });
    return all
      .filter((d) => subscription === undefined || d.spec.subscription === subscription)
      .sort((a, b) => b.spec.failedTime - a.spec.failedTime)
      .map((d) => toApiModel(d));
  }

  async get(scope: RequestScope, name: string): Promise<DeadLetter> {
    return toApiModel(await this.read(scope, name));
  }

  async delete(scope: RequestScope, name: string): Promise<DeadLetter> {
    const current = await this.read(scope, name);
    await this.store.delete(current, { revision: current.revision });
    return toApiModel(current);
  }

  private read(scope: RequestScope, name: string): Promise<Entity<DeadLetterSpec>> {
    return this.store.get<DeadLetterSpec>({ ...scope, kind: DEAD_LETTER_KIND, name });
  }
}
