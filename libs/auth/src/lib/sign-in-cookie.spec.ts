import { describe, expect, it } from '@jest/globals';
import { acceptSignInCookie } from './sign-in-cookie.js';

describe('a browser sign-in cookie as a credential', () => {
  const signedIn = (more: Record<string, string> = {}) => ({
    host: 'dispatch.example.com',
    cookie: 'theme=dark; _oauth2_proxy=id.token.value',
    ...more,
  });

  it('becomes the bearer of a call that has no Authorization header', () => {
    const headers: Record<string, string> = signedIn();
    acceptSignInCookie('POST', headers);
    expect(headers['authorization']).toBe('Bearer id.token.value');
  });

  it('never replaces an Authorization header the call has', () => {
    const headers: Record<string, string> = signedIn({ authorization: 'Bearer own' });
    acceptSignInCookie('GET', headers);
    expect(headers['authorization']).toBe('Bearer own');
  });

  it("is refused for a state-changing call another site's page makes, and allowed for its reads", () => {
    const calledFrom: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { origin: 'null' },
    ];
    for (const elsewhere of calledFrom) {
      expect(() => acceptSignInCookie('DELETE', signedIn(elsewhere))).toThrow(
        'a sign-in cookie is not accepted for a call made from another site',
      );
      const read: Record<string, string> = signedIn(elsewhere);
      acceptSignInCookie('GET', read);
      expect(read['authorization']).toBe('Bearer id.token.value');
    }
    const same: Record<string, string> = signedIn({
      origin: 'https://dispatch.example.com',
      'sec-fetch-site': 'same-origin',
    });
    acceptSignInCookie('POST', same);
    expect(same['authorization']).toBe('Bearer id.token.value');
  });

  it('leaves a call without the cookie as it is', () => {
    const headers: Record<string, string> = { host: 'h', cookie: 'other=1' };
    acceptSignInCookie('POST', headers);
    expect(headers['authorization']).toBeUndefined();
  });
});
