import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import { DomainError } from '@dispatch/contracts';
import { Public } from '@dispatch/platform';
import { CONSOLE_CONFIG, type ConsoleConfig } from './console.config.js';
import { encodingFor, loadAssets, type Asset } from './console-assets.js';

interface Request {
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

interface Reply {
  code(status: number): Reply;
  header(name: string, value: string): Reply;
  send(body?: unknown): Reply;
}

/**
 * The page may run only its own script, call only its own server, and never be framed (clickjacking).
 * Styles may be inline: the component library sets CSS variables on elements.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/**
 * Serves the console at /ui: its hashed assets, and index.html for every other path under /ui, where
 * the page's own router takes over (a reload of /ui/functions/hello works).
 */
@Controller('ui')
@Public()
export class AssetsController {
  private assets?: Map<string, Asset> | null;

  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  @Get()
  root(@Req() request: Request, @Res() reply: Reply): void {
    this.serve(request, reply);
  }

  @Get('*')
  file(@Req() request: Request, @Res() reply: Reply): void {
    this.serve(request, reply);
  }

  private serve(request: Request, reply: Reply): void {
    this.assets ??= loadAssets(this.config.assetsDir) ?? null;
    if (!this.assets)
      throw new DomainError(
        'UNAVAILABLE',
        `the console is not built (no ${this.config.assetsDir}/index.html): run npm run build`,
      );
    const path = new URL(request.url, 'http://console').pathname.replace(/^\/ui/, '') || '/';
    const asset = this.assets.get(path);
    if (!asset && path.startsWith('/assets/'))
      throw new DomainError('NOT_FOUND', `the console has no asset ${path}`);
    const chosen = asset ?? (this.assets.get('/index.html') as Asset);
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    reply
      .header('content-type', chosen.type)
      .header('etag', chosen.etag)
      .header('vary', 'accept-encoding')
      .header('cache-control', chosen.immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (request.headers['if-none-match'] === chosen.etag) {
      reply.code(304).send();
      return;
    }
    const accepted = request.headers['accept-encoding'];
    const encoding = encodingFor(chosen, Array.isArray(accepted) ? accepted.join(',') : accepted);
    if (encoding) reply.header('content-encoding', encoding);
    reply.code(200).send(encoding ? chosen[encoding] : chosen.identity);
  }
}
