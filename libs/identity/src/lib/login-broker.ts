import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import {
  DomainError,
  type DeviceLogin,
  type LoginConfig,
  type LoginPending,
  type LoginTokenRequest,
  type LoginTokens,
} from '@dispatch/contracts';
import { discoveryOptions, OidcTokens, type OidcSettings } from '@dispatch/auth';
import { IDENTITY_CONFIG, type IdentityConfig } from './identity.config.js';

/** What `dispatch login` asks for: the user's identity, groups and a refresh token. */
export const LOGIN_SCOPES = 'openid email profile offline_access';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export type TokenAnswer = LoginTokens | LoginPending;

/**
 * The OpenID provider's relying party, for clients that hold no secret: `dispatch login` runs the
 * browser part itself (authorization code with PKCE to a loopback redirect, or the device flow) and
 * hands the code here, where Dispatch's client secret redeems it with openid-client. What comes back is
 * checked as the guard will check it, so a login that succeeds is a credential that works.
 */
@Injectable()
export class LoginBroker {
  private readonly settings?: OidcSettings;
  private readonly idTokens?: OidcTokens;
  private configuration?: Promise<oidc.Configuration>;

  constructor(@Inject(IDENTITY_CONFIG) config: IdentityConfig) {
    this.settings = config.oidc;
    if (config.oidc) this.idTokens = new OidcTokens(config.oidc);
  }

  loginConfig(): LoginConfig {
    const settings = this.configured();
    return { issuer: settings.issuer, clientId: settings.clientId, scopes: LOGIN_SCOPES };
  }

  async token(input: LoginTokenRequest): Promise<TokenAnswer> {
    const config = await this.provider();
    switch (input.grantType) {
      case 'authorization_code':
        return this.answer(
          await refusedBy(
            oidc.authorizationCodeGrant(config, new URL(input.callbackUrl), {
              pkceCodeVerifier: input.codeVerifier,
              expectedState: input.state,
            }),
          ),
          undefined,
        );
      case 'refresh_token':
        return this.answer(
          await refusedBy(oidc.refreshTokenGrant(config, input.refreshToken)),
          input.refreshToken,
        );
      case 'device_code':
        try {
          return await this.answer(
            await oidc.genericGrantRequest(config, DEVICE_GRANT, { device_code: input.deviceCode }),
            undefined,
          );
        } catch (err) {
          const error = (err as { error?: string }).error;
          if (error === 'authorization_pending' || error === 'slow_down')
            return { pending: true, slowDown: error === 'slow_down' };
          throw refusal(err);
        }
    }
  }

  async startDevice(): Promise<DeviceLogin> {
    const config = await this.provider();
    if (!config.serverMetadata().device_authorization_endpoint)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `the OpenID provider ${this.configured().issuer} offers no device flow: log in with a browser`,
      );
    const started = await refusedBy(oidc.initiateDeviceAuthorization(config, { scope: LOGIN_SCOPES }));
    return {
      deviceCode: started.device_code,
      userCode: started.user_code,
      verificationUri: started.verification_uri,
      verificationUriComplete: started.verification_uri_complete,
      interval: started.interval ?? 5,
      expiresIn: started.expires_in,
    };
  }

  /** Logging out revokes the refresh token at the provider, where it offers revocation. */
  async revoke(refreshToken: string): Promise<void> {
    const config = await this.provider();
    if (!config.serverMetadata().revocation_endpoint) return;
    await refusedBy(oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' }));
  }

  private async answer(
    response: oidc.TokenEndpointResponse,
    previousRefreshToken: string | undefined,
  ): Promise<LoginTokens> {
    if (!response.id_token)
      throw new DomainError('UNAUTHENTICATED', 'the OpenID provider answered without an ID token');
    const { caller, expiresAt } = await (this.idTokens as OidcTokens).verify(response.id_token);
    const [subject = '', ...groups] = caller.subjects;
    return {
      idToken: response.id_token,
      // A provider that does not rotate refresh tokens keeps the one the client had.
      refreshToken: response.refresh_token ?? previousRefreshToken,
      expiresAt: Math.floor(expiresAt / 1000),
      subject,
      groups: groups.map((g) => g.slice('group:'.length)),
    };
  }

  private configured(): OidcSettings {
    if (!this.settings)
      throw new DomainError(
        'NOT_FOUND',
        'this Dispatch has no OpenID provider configured (DISPATCH_OIDC_ISSUER): log in with a service account',
      );
    return this.settings;
  }

  /** Discovered once; a provider that could not be reached is asked again next time. */
  private provider(): Promise<oidc.Configuration> {
    const settings = this.configured();
    this.configuration ??= oidc
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        settings.clientSecret,
        undefined,
        discoveryOptions(settings.issuer),
      )
      .catch((err: unknown) => {
        this.configuration = undefined;
        throw new DomainError(
          'UNAVAILABLE',
          `the OpenID provider ${settings.issuer} cannot be reached: ${(err as Error).message}`,
        );
      });
    return this.configuration;
  }
}

async function refusedBy<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    throw refusal(err);
  }
}

/** The provider's OAuth error (a used code, a PKCE mismatch, a revoked token) as the client's 401. */
function refusal(err: unknown): DomainError {
  if (err instanceof DomainError) return err;
  const { error, error_description: description } = err as { error?: string; error_description?: string };
  if (error)
    return new DomainError(
      'UNAUTHENTICATED',
      `the OpenID provider refused the login: ${error}${description ? ` (${description})` : ''}`,
    );
  return new DomainError('UNAVAILABLE', `the OpenID provider cannot be reached: ${(err as Error).message}`);
}
