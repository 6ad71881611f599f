/**
 * A browser without a screen, for driving an OpenID provider's sign-in pages over HTTP as a person
 * would: it keeps each site's cookies, follows redirects, and fills and submits the forms it is shown.
 * Enough for the plain HTML forms of a login page, nothing more.
 */
export class FormBrowser {
  private readonly jars = new Map<string, Map<string, Cookie>>();
  /** The page the browser is on. */
  page = { url: '', status: 0, html: '' };

  /** Opens a URL and follows redirects to the page they end on. */
  async open(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<void> {
    let current = new URL(url);
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 20; hops += 1) {
      const res = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          cookie: this.cookiesFor(current),
          ...(body !== undefined && { 'content-type': 'application/x-www-form-urlencoded' }),
        },
        body,
      });
      this.keepCookies(current, res);
      const location = res.headers.get('location');
      if (res.status >= 300 && res.status < 400 && location) {
        current = new URL(location, current);
        method = 'GET';
        body = undefined;
        continue;
      }
      this.page = { url: current.href, status: res.status, html: await res.text() };
      return;
    }
    throw new Error(`too many redirects from ${url}`);
  }

  /** Fills the page's form (the one holding `field`, or the first) and submits it. */
  async submit(values: Record<string, string>, field = Object.keys(values)[0]): Promise<void> {
    const forms = [...this.page.html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
    const form =
      forms.find(([, , inner]) => field !== undefined && new RegExp(`name="${field}"`).test(inner ?? '')) ??
      forms[0];
    if (!form) throw new Error(`no form on ${this.page.url}:\n${this.page.html.slice(0, 2000)}`);
    const [, attributes = '', inner = ''] = form;
    const action = /action="([^"]*)"/.exec(attributes)?.[1] ?? this.page.url;
    const hidden: Record<string, string> = {};
    for (const [input] of inner.matchAll(/<input\b[^>]*>/gi)) {
      const name = /name="([^"]*)"/.exec(input)?.[1];
      if (name && /type="hidden"/.test(input)) hidden[name] = /value="([^"]*)"/.exec(input)?.[1] ?? '';
    }
    await this.open(new URL(action.replace(/&amp;/g, '&'), this.page.url).href, {
      method: 'POST',
      form: { ...hidden, ...values },
    });
  }

  /** The cookies a request to `url` carries: its host's, whose path is a prefix of the URL's. */
  private cookiesFor(url: URL): string {
    return [...(this.jars.get(url.host)?.values() ?? [])]
      .filter(
        (c) =>
          url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
      )
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  /** Keeps cookies by name and path, as a browser does; an expired one is removed. */
  private keepCookies(url: URL, res: Response): void {
    const jar = this.jars.get(url.host) ?? new Map<string, Cookie>();
    for (const header of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const attribute = (key: string) =>
        attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
      const path = attribute('path') ?? '/';
      const expires = attribute('expires');
      const gone =
        attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
      if (gone) jar.delete(`${name};${path}`);
      else jar.set(`${name};${path}`, { name, value, path });
    }
    this.jars.set(url.host, jar);
  }
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}
