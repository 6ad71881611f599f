import { createPublicKey } from 'node:crypto';
import { pemOf } from '@dispatch/auth';
import { serviceAccountRequest } from '@dispatch/contracts';

/**
 * A service account's request as identity checks it: its key must be an RSA public key, in PEM or
 * base64 of a PEM (as the original CLI sends it). The check needs node's crypto, so it is added here
 * rather than in the shared schema.
 */
export const serviceAccountBody = serviceAccountRequest.extend({
  publicKey: serviceAccountRequest.shape.publicKey.refine(
    isRsaPublicKey,
    'publicKey is not an RSA public key in PEM (or base64 of a PEM)',
  ),
});

function isRsaPublicKey(text: string): boolean {
  // createPublicKey takes a private key too (and derives its public half): never store one of those.
  if (pemOf(text).includes('PRIVATE KEY')) return false;
  try {
    return createPublicKey(pemOf(text)).asymmetricKeyType === 'rsa';
  } catch {
    return false;
  }
}
