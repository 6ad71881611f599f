import { SetMetadata } from '@nestjs/common';
import type { IamAction } from '@dispatch/contracts';

export const PUBLIC_ROUTE = 'dispatch:public';
export const ACCESS_RESOURCE = 'dispatch:resource';
export const ACCESS_ACTION = 'dispatch:action';
export const ACCESS_ORG_PARAM = 'dispatch:org-param';
export const ACCESS_INSTALLATION = 'dispatch:installation';

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

/**
 * The organisation a route acts on is named in its path (`/v1/iam/organization/:name`), not in
 * `X-Dispatch-Org`: the policies of that organisation decide, whatever org the header names.
 */
export const OrgFromPath = (param: string) => SetMetadata(ACCESS_ORG_PARAM, param);

/**
 * The route changes what spans organisations (creating, changing or deleting an organisation): decided
 * on global policies alone, so no organisation's own administrator can reach past it.
 */
export const InstallationWide = () => SetMetadata(ACCESS_INSTALLATION, true);

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
