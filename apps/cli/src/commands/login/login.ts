import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { resolve } from 'node:path';
import * as oidc from 'openid-client';
import type { DispatchClient } from '@dispatch/api-client';
import { DomainError, type LoginConfig, type LoginTokens } from '@dispatch/contracts';
import { clientOf, resolveContext, type CliContext, type GlobalOptions } from '../../global-options.js';
import { signServiceAccountToken } from '../../credentials.js';
import { saveLogin, sessionOf } from './session.js';

export interface LoginOptions {
  serviceAccount?: string;
  jwtPrivateKey?: string;
  device?: boolean;
  browser?: boolean;
}

/** How long a login waits for the user at the provider. */
const LOGIN_TIMEOUT_MS = 5 * 60_000;

/**
 * `dispatch login`: as a service account (a key file, checked against the server before it is kept),
 * or as a user at the OpenID provider the server names, in a browser (authorization code with PKCE to a
 * loopback redirect) or, with --device, on any other device. The login goes into the current context.
 */
export async function login(options: LoginOptions, global: GlobalOptions): Promise<void> {
  const context = resolveContext({ ...global, token: undefined });
  if (options.serviceAccount || options.jwtPrivateKey) return loginServiceAccount(context, options, global);
  const client = clientOf(context, global);
  const provider = await client.loginConfig();
  const tokens = options.device
    ? await deviceLogin(client)
    : await browserLogin(client, provider, options.browser !== false);
  saveLogin(context, global, { session: sessionOf(provider.issuer, tokens) });
  const groups = tokens.groups.length > 0 ? ` (groups: ${tokens.groups.join(', ')})` : '';
  console.log(`Logged in as ${tokens.subject}${groups}`);
}

async function loginServiceAccount(context: CliContext, options: LoginOptions, global: GlobalOptions) {
  if (!options.serviceAccount || !options.jwtPrivateKey)
    throw new DomainError('INVALID_ARGUMENT', '--service-account and --jwt-private-key go together');
  const account = options.serviceAccount.includes('/')
    ? options.serviceAccount
    : `${context.organization}/${options.serviceAccount}`;
  const keyFile = resolve(options.jwtPrivateKey);
  const token = await signServiceAccountToken(account, keyFile);
  await clientOf(context, global, async () => token).auth();
  saveLogin(context, global, { serviceAccount: account, jwtPrivateKey: keyFile });
  console.log(`Logged in as service account ${account}`);
}

async function browserLogin(client: DispatchClient, provider: LoginConfig, openBrowser: boolean) {
  const config = await oidc.discovery(
    new URL(provider.issuer),
    provider.clientId,
    undefined,
    oidc.None(),
    new URL(provider.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
  );
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const callback = await loopbackCallback();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback.redirectUri,
    scope: provider.scopes,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  });
  console.error(`To log in, open this address in a browser:\n\n  ${url.href}\n`);
  if (openBrowser) tryOpen(url.href);
  return callback.tokens((callbackUrl) =>
    client.loginToken({ grantType: 'authorization_code', callbackUrl, codeVerifier, state }),
  );
}

/**
 * A one-request server on a free loopback port (RFC 8252): the provider sends the browser back to it
 * with the code, which the login broker redeems while the browser waits for the answer.
 */
async function loopbackCallback() {
  const server: Server = createServer();
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as { port: number };
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  return {
    redirectUri,
    tokens: (redeem: (callbackUrl: string) => Promise<LoginTokens | { pending: true }>) =>
      new Promise<LoginTokens>((done, fail) => {
        const timer = setTimeout(() => {
          server.close();
          fail(new DomainError('DEADLINE_EXCEEDED', 'no login came back within 5 minutes'));
        }, LOGIN_TIMEOUT_MS);
        server.on('request', (req, res) => {
          const callbackUrl = new URL(req.url ?? '/', redirectUri);
          if (callbackUrl.pathname !== '/callback') {
            res.writeHead(404).end();
            return;
          }
          redeem(callbackUrl.href)
            .then((answer) => {
              if ('pending' in answer)
                throw new DomainError('INTERNAL', 'the broker answered a code as pending');
              res
                .writeHead(200, { 'content-type': 'text/plain' })
                .end('Logged in to Dispatch. You can close this window.\n');
              done(answer);
            })
            .catch((err: unknown) => {
              res
                .writeHead(401, { 'content-type': 'text/plain' })
                .end(`The login failed: ${(err as Error).message}\n`);
              fail(err);
            })
            .finally(() => {
              clearTimeout(timer);
              server.close();
            });
        });
      }),
  };
}

async function deviceLogin(client: DispatchClient): Promise<LoginTokens> {
  const device = await client.startDeviceLogin();
  console.error(
    `To log in, visit ${device.verificationUri} and enter the code ${device.userCode}` +
      (device.verificationUriComplete ? `\n(or open ${device.verificationUriComplete})` : ''),
  );
  let interval = device.interval;
  const deadline = Date.now() + device.expiresIn * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, interval * 1000));
    const answer = await client.loginToken({ grantType: 'device_code', deviceCode: device.deviceCode });
    if (!('pending' in answer)) return answer;
    if (answer.slowDown) interval += 5;
  }
  throw new DomainError('DEADLINE_EXCEEDED', 'the device code expired before the login was approved');
}

/** Best effort: where no browser can be opened, the printed address is the way. */
function tryOpen(url: string): void {
  const command =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'start' : 'xdg-open';
  try {
    spawn(command, [url], { stdio: 'ignore', detached: true })
      .on('error', () => undefined)
      .unref();
  } catch {
    // The address is printed.
  }
}
