import { Controller, Get } from '@nestjs/common';
import { DomainError } from '@dispatch/contracts';
import { Public } from '@dispatch/platform';

const NOT_SERVED =
  "the original Dispatch CLI's browser sign-in is not served: it hands the signed-in user's credential " +
  "to whatever local port the link names, and a link can name a tenant's endpoint. Sign that CLI in with a " +
  'service account (`dispatch login --service-account NAME --jwt-private-key KEY`), or give it `--token`';

/**
 * What the original CLI's browser sign-in reaches: `dispatch login` without a key opens
 * `/v1/iam/oauth2/start?rd=/v1/iam/redirect?redirect=http://127.0.0.1:PORT/...` (its oauth2-proxy's
 * route), and `/v1/iam/redirect` handed the sign-in cookie to that listener. Nothing binds the
 * listener to the CLI that started the login, so anyone's link could make a signed-in browser deliver
 * the credential to a port of their choosing (in solo, the gateway's, where tenants' endpoints
 * answer). Both answer, in the browser the CLI opened, how to sign that CLI in instead.
 */
@Controller('v1/iam')
@Public()
export class OriginalBrowserSignInController {
  @Get('oauth2/start')
  start(): never {
    throw new DomainError('NOT_FOUND', NOT_SERVED);
  }

  @Get('redirect')
  redirect(): never {
    throw new DomainError('NOT_FOUND', NOT_SERVED);
  }
}
