import { describe, expect, it } from '@jest/globals';
import { withoutDispatchCookies } from './invocation.js';

describe("Dispatch's own cookies", () => {
  it("are taken out of a request's cookies, the caller's others kept as they came", () => {
    expect(
      withoutDispatchCookies({
        host: 'h',
        cookie: 'session=a%20b; _oauth2_proxy=id.token; dispatch_login=x; theme=dark',
      }),
    ).toEqual({ host: 'h', cookie: 'session=a%20b; theme=dark' });
    expect(withoutDispatchCookies({ cookie: ' _oauth2_proxy=id.token' })).toEqual({});
  });

  it('leave the headers as they are when none of them is there', () => {
    const headers = { cookie: 'session=a; my_oauth2_proxy=b' };
    expect(withoutDispatchCookies(headers)).toBe(headers);
    const none = { host: 'h' };
    expect(withoutDispatchCookies(none)).toBe(none);
  });
});
