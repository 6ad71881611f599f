import { SetMetadata } from '@nestjs/common';
import type { IamAction } from '@dispatch/contracts';

export const PUBLIC_ROUTE = 'dispatch:public';
export const ACCESS_RESOURCE = 'dispatch:resource';
export const ACCESS_ACTION = 'dispatch:action';

/**
 * A route anyone may call without a credential: health, version, the login broker, and webhooks (whose
 * signature is their authentication). Everything else needs one; the route-enumerating test lists the
 * public routes, so a new one is a deliberate change.
 */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The resource a controller's routes act on, as policy rules name it (`function`, `secret`, ...). */
export const Resource = (resource: string) => SetMetadata(ACCESS_RESOURCE, resource);

/**
 * The action a route performs when the HTTP method does not say it: running a function is `exec`, not
 * `create`. Otherwise GET and HEAD are `get`, POST `create`, PUT and PATCH `update`, DELETE `delete`.
 */
export const Action = (action: IamAction) => SetMetadata(ACCESS_ACTION, action);

const ACTION_OF_METHOD: Record<string, string> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

export function actionOfMethod(method: string): string {
  return ACTION_OF_METHOD[method] ?? method.toLowerCase();
}
