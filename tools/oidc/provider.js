// The provider behind tools/oidc.js: oidc-provider configured as an operator would configure Keycloak or
// Dex for Dispatch. One confidential native client (`dispatch`) with loopback redirects on any port
// (RFC 8252), PKCE, refresh tokens, the device flow and revocation; users with passwords and groups;
// a plain sign-in form of its own (oidc-provider's interactions), and consent given for its one client.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { ROOT } from '../lib/daemon.js';

export const CLIENT = { id: 'dispatch', secret: 'dispatch-secret' };
const SCOPES = 'openid email profile offline_access';
const users = JSON.parse(readFileSync(join(ROOT, 'tools/oidc/users.json'), 'utf8'));

const escape = (text) =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  );

function signInPage(uid, message = '') {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
  <h1>Sign in to Dispatch</h1>
  ${message ? `<p class="error">${escape(message)}</p>` : ''}
  <form method="post" action="/interaction/${escape(uid)}/login">
    <input type="text" name="login" placeholder="user name" autofocus>
    <input type="password" name="password" placeholder="password">
    <button type="submit">Sign in</button>
  </form>
</body></html>`;
}

async function formBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

export async function serve({ port, idTokenTtl }) {
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        application_type: 'native',
        // The CLI's loopback callback, and the web console's on a loopback Dispatch (any port).
        redirect_uris: ['http://127.0.0.1/callback', 'http://127.0.0.1/ui/login/callback'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: {
      keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'dispatch-test', use: 'sig', alg: 'RS256' }],
    },
    cookies: { keys: [privateKey.export({ format: 'jwk' }).d.slice(0, 32)] },
    claims: { email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    scopes: SCOPES.split(' '),
    findAccount: (_ctx, id) =>
      users[id] && {
        accountId: id,
        claims: () => ({
          sub: id,
          email: users[id].email,
          // Users may be listed unverified (`emailVerified: false`), as a provider's fresh sign-ups are.
          email_verified: users[id].emailVerified ?? true,
          name: users[id].name,
          groups: users[id].groups,
        }),
      },
    features: {
      devInteractions: { enabled: false },
      deviceFlow: { enabled: true },
      revocation: { enabled: true },
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Claims go into the ID token itself (as Keycloak and Dex put them), which is what Dispatch verifies.
    conformIdTokenClaims: false,
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    pkce: { required: () => true },
    ttl: {
      IdToken: idTokenTtl,
      AccessToken: idTokenTtl,
      AuthorizationCode: 60,
      DeviceCode: 600,
      Interaction: 600,
      Session: 86400,
      Grant: 86400,
      RefreshToken: 86400,
    },
  });
  const oidc = provider.callback();
  const server = createServer(async (req, res) => {
    const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url.split('?')[0]);
    if (!match) return oidc(req, res);
    try {
      // The form is read before oidc-provider looks at the request.
      const form = req.method === 'POST' ? await formBody(req) : new URLSearchParams();
      const details = await provider.interactionDetails(req, res);
      // Its one client is first-party: consent is given, as a company's IdP does for its own tools.
      if (details.prompt.name === 'consent') {
        const grant = details.grantId
          ? await provider.Grant.find(details.grantId)
          : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
        const missing = details.prompt.details;
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
          grant.addResourceScope(indicator, scopes.join(' '));
        await provider.interactionFinished(
          req,
          res,
          { consent: { grantId: await grant.save() } },
          { mergeWithLastSubmission: true },
        );
        return;
      }
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'text/html' }).end(signInPage(details.uid));
        return;
      }
      const user = users[form.get('login')];
      if (!user || user.password !== form.get('password')) {
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(signInPage(details.uid, 'Wrong user name or password'));
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: form.get('login') } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`${err.name}: ${err.message}\n`);
    }
  });
  await new Promise((ready) => server.listen(port, '127.0.0.1', ready));
  console.log(`OpenID provider ${issuer}: client ${CLIENT.id}, users ${Object.keys(users).join(', ')}`);
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
