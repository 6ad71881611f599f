import { Controller, Get, Headers } from '@nestjs/common';
import { AccessControl } from '@dispatch/auth';
import { Public, scopeOf } from '@dispatch/platform';

/**
 * `/` and `/home`, as the original identity manager had them: the root answers anyone; home answers a
 * caller whose credential holds in the org of X-Dispatch-Org, deciding no policy. The original CLI's
 * `dispatch login --service-account` is a call to home. Both are public to the guard because home does
 * its own checking, as `/v1/iam/auth` does.
 */
@Controller()
@Public()
export class HomeController {
  constructor(private readonly access: AccessControl) {}

  @Get()
  root(): { message: string } {
    return { message: 'Dispatch: see /v1/version, and the API under /v1' };
  }

  @Get('home')
  async home(@Headers() headers: Record<string, string | undefined>): Promise<{ message: string }> {
    const caller = await this.access.check({
      authorization: headers['authorization'],
      org: scopeOf(headers).org,
      resource: 'api',
      action: 'get',
      authenticateOnly: true,
    });
    return { message: `Home Page, you are signed in as ${caller.subjects[0] ?? 'nobody'}` };
  }
}
