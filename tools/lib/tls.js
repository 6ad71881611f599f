// Self-signed certificates with Debian's openssl, for what tools/ starts on this machine: the
// Kubernetes node's authority and the ingress's HTTPS.
import { spawnSync } from 'node:child_process';

/**
 * A self-signed certificate and its unencrypted RSA key, valid 30 days, for `subject` (e.g.
 * `/CN=localhost`); `altNames` (e.g. `DNS:localhost,IP:127.0.0.1`) when given.
 */
export function selfSigned({ keyFile, certFile, subject, altNames }) {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', subject];
  if (altNames) args.push('-addext', `subjectAltName=${altNames}`);
  const res = spawnSync('openssl', [...args, '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`openssl req -x509 failed: ${(res.stderr || '').trim()}`);
}
