import { Controller, Get, Headers, Res } from '@nestjs/common';
import { AccessControl } from '@dispatch/auth';
import { actionOfMethod, Public, scopeOf } from '@dispatch/platform';
import { accessOfPath } from './api-paths.js';

interface HeaderReply {
  status(code: number): HeaderReply;
  header(name: string, value: string): HeaderReply;
}

/**
 * `/v1/iam/auth`, for an ingress that authorises before routing (nginx `auth_request`, as the original
 * Dispatch's ingress did): it decides the original call, named by `X-Original-URI` and
 * `X-Original-Method`, as the services' own guard would, answering 202, 401 or 403. Without an original
 * call it only authenticates. Marked public because it does its own checking.
 */
@Controller('v1/iam/auth')
@Public()
export class AuthController {
  constructor(private readonly access: AccessControl) {}

  @Get()
  async auth(
    @Headers() headers: Record<string, string | undefined>,
    @Res({ passthrough: true }) reply: HeaderReply,
  ): Promise<{ message: string }> {
    const { org } = scopeOf(headers);
    const uri = headers['x-original-uri'];
    const method = (headers['x-original-method'] ?? 'GET').toUpperCase();
    const route = uri === undefined ? { resource: 'api', public: false } : accessOfPath(method, uri);
    reply.header('X-Dispatch-Org', org);
    if (route.public) {
      reply.status(202);
      return { message: 'a public route' };
    }
    const caller = await this.access.check({
      authorization: headers['authorization'],
      org,
      target: route.target,
      resource: route.resource,
      action: route.action ?? actionOfMethod(method),
      installationWide: route.installationWide,
      authenticateOnly: uri === undefined,
    });
    reply.status(202).header('X-Dispatch-Subject', caller.subjects[0] ?? '');
    return { message: `authorized: ${caller.subjects[0]}` };
  }
}
