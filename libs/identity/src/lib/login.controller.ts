import { Body, Controller, Get, HttpCode, Post, Res } from '@nestjs/common';
import {
  loginTokenRequest,
  logoutRequest,
  type DeviceLogin,
  type LoginConfig,
  type LoginTokenRequest,
  type LogoutRequest,
} from '@dispatch/contracts';
import { Public, ValidBody } from '@dispatch/platform';
import { LoginBroker, type TokenAnswer } from './login-broker.js';

interface StatusReply {
  status(code: number): StatusReply;
}

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
  async token(
    @Body(new ValidBody(loginTokenRequest, 'token request')) body: LoginTokenRequest,
    @Res({ passthrough: true }) reply: StatusReply,
  ): Promise<TokenAnswer> {
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
  async logout(@Body(new ValidBody(logoutRequest, 'logout')) body: LogoutRequest): Promise<void> {
    await this.broker.revoke(body.refreshToken);
  }
}
