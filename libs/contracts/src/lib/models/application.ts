import type { ApiModel } from './api-model.js';

/** `kind` of applications in the entity store. */
export const APPLICATION_KIND = 'application';

/** The tag that makes an entity of any kind a member of an application. */
export const APPLICATION_TAG = 'Application';

/** An application: a name that groups entities of every kind through the `Application=<name>` tag. */
export type Application = ApiModel<Record<string, never>>;
