import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import { z } from 'zod';
import type { DeviceLogin, LoginConfig } from '@dispatch/contracts';
import { parseBody, Public } from '@dispatch/platform';
import { LoginBroker, type TokenAnswer } from './login-broker.js';

interface StatusReply {
  status(code: number): StatusReply;
}

const logoutBody = z.object({ refreshToken: z.string({ error: 'refreshToken is required' }).min(1) });

/**
 * The login broker, open to anyone (a login is how a caller gets a credential): which provider to use,
 * redeeming a code or device code or refresh token, and revoking at logout.
 */
@Controller('v1/iam')
@Public()
export class LoginController {
  constructor(private readonly broker: LoginBroker) {}

  @Get('login')
  config(): LoginConfig {
    return this.broker.loginConfig();
  }

  /** 200 with tokens; 202 while a device login waits for the user. */
  @Post('login/token')
  async token(@Body() body: unknown, @Res({ passthrough: true }) reply: StatusReply): Promise<TokenAnswer> {
    const answer = await this.broker.token(body);
    reply.status('pending' in answer ? 202 : 200);
    return answer;
  }

  @Post('login/device')
  @HttpCode(200)
  device(): Promise<DeviceLogin> {
    return this.broker.startDevice();
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Body() body: unknown): Promise<void> {
    await this.broker.revoke(parseBody(logoutBody, body, 'logout').refreshToken);
  }
}
