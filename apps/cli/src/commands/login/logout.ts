import { saveCliContext } from '@dispatch/api-client';
import {
  clientOf,
  configPath,
  currentContextName,
  resolveContext,
  type GlobalOptions,
} from '../../global-options.js';

/** `dispatch logout`: revokes an OpenID login's refresh token at the provider, and forgets the credential. */
export async function logout(global: GlobalOptions): Promise<void> {
  const context = resolveContext({ ...global, token: undefined });
  if (context.session?.refreshToken)
    await clientOf(context, global)
      .logout(context.session.refreshToken)
      .catch((err: unknown) =>
        console.error(`The provider did not revoke the login: ${(err as Error).message}`),
      );
  saveCliContext(configPath(global), currentContextName(global), {
    token: undefined,
    serviceAccount: undefined,
    jwtPrivateKey: undefined,
    session: undefined,
  });
  console.log('Logged out');
}
