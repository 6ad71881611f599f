import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';

/** A link not used within this long is void; a new start of solo prints a new one. */
export const LINK_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * One-time sign-in links, as notebook servers print them: solo prints one at start, and whoever opens
 * it (the person at the terminal) is signed in to the console as the local administrator. A link works
 * once; the token is 256 random bits.
 */
@Injectable()
export class SignInLinks {
  private readonly links = new Map<string, number>();

  /** A new link's token. */
  mint(): string {
    const token = randomBytes(32).toString('base64url');
    this.links.set(token, Date.now() + LINK_LIFETIME_MS);
    return token;
  }

  /** True once for a token minted here and not expired; the token is spent either way. */
  redeem(token: string): boolean {
    const expires = this.links.get(token);
    this.links.delete(token);
    return expires !== undefined && expires > Date.now();
  }
}
