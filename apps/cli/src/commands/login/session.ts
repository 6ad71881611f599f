import { saveCliContext, type CliContext, type CliSession } from '@dispatch/api-client';
import { DomainError, type LoginTokens } from '@dispatch/contracts';
import { clientOf, configPath, currentContextName, type GlobalOptions } from '../../cli-context.js';

export function sessionOf(issuer: string, tokens: LoginTokens): CliSession {
  return {
    issuer,
    idToken: tokens.idToken,
    refreshToken: tokens.refreshToken,
    expiresAt: tokens.expiresAt,
    subject: tokens.subject,
  };
}

/**
 * Stores a login in the current context, in place of whatever credential it held, with the server it
 * was made against (so a first `dispatch login --host ...` leaves a context that keeps working).
 */
export function saveLogin(
  context: CliContext,
  options: GlobalOptions,
  credential: Partial<CliContext>,
): void {
  const { host, port, scheme, insecure, organization, project } = context;
  saveCliContext(
    configPath(options),
    currentContextName(options),
    {
      host,
      port,
      scheme,
      ...(insecure !== undefined && { insecure }),
      organization,
      project,
      token: undefined,
      serviceAccount: undefined,
      jwtPrivateKey: undefined,
      session: undefined,
      ...credential,
    },
    { makeCurrent: true },
  );
}

/** Trades the refresh token for a new ID token through the login broker, and saves it. */
export async function refreshSession(context: CliContext, options: GlobalOptions): Promise<CliSession> {
  const session = context.session as CliSession;
  const answer = await clientOf(context, options)
    .loginToken({ grantType: 'refresh_token', refreshToken: session.refreshToken as string })
    .catch((err: unknown) => {
      if (err instanceof DomainError && err.code === 'UNAUTHENTICATED')
        throw new DomainError(
          'UNAUTHENTICATED',
          `the login has expired and cannot be refreshed (${err.message}): run \`dispatch login\` again`,
        );
      throw err;
    });
  if ('pending' in answer)
    throw new DomainError('INTERNAL', 'the login broker answered a refresh as pending');
  const refreshed = sessionOf(session.issuer, answer);
  saveCliContext(configPath(options), currentContextName(options), { session: refreshed });
  return refreshed;
}
