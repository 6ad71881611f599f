import { z } from 'zod';

/**
 * `POST /v1/iam/login/token`: redeems an authorization code (with its PKCE verifier), a refresh token
 * or a device code.
 */
export const loginTokenRequest = z.discriminatedUnion(
  'grantType',
  [
    z.object({
      grantType: z.literal('authorization_code'),
      callbackUrl: z.url({ error: 'callbackUrl must be the URL the provider redirected to' }),
      codeVerifier: z.string().min(43, 'codeVerifier must be the PKCE verifier of the login'),
      state: z.string().min(1, 'state is required'),
    }),
    z.object({ grantType: z.literal('refresh_token'), refreshToken: z.string().min(1) }),
    z.object({ grantType: z.literal('device_code'), deviceCode: z.string().min(1) }),
  ],
  { error: 'grantType must be authorization_code, refresh_token or device_code' },
);
export type LoginTokenRequest = z.input<typeof loginTokenRequest>;

/** `POST /v1/iam/logout`: the refresh token to revoke. */
export const logoutRequest = z.object({
  refreshToken: z.string({ error: 'refreshToken is required' }).min(1),
});
export type LogoutRequest = z.input<typeof logoutRequest>;
