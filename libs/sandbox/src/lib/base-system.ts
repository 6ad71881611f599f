import { existsSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The part of the host every sandbox sees, read-only: the system's programs and libraries (`/usr`, and
 * the top-level links or directories a distribution keeps beside it), and from `/etc` only what a
 * program needs to run and to trust TLS: certificates, the dynamic linker's cache, Debian's
 * alternatives (where `java` points) and the JDK's and Maven's own configuration. Nothing else of the
 * host: no `/home`, `/root`, `/var`, `/run`, no data directory, no other tenant.
 */
const TOP_LEVEL = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
const ETC = [
  'ssl',
  'ca-certificates',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'localtime',
  'maven',
  'mime.types',
];
/** Configuration directories whose names carry a version (`/etc/java-17-openjdk`). */
const ETC_PREFIXES = ['java-'];

/** bwrap arguments for the base system; what the host has of it, as the host has it. */
export function baseSystemArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const name of TOP_LEVEL) args.push(...entryArgs(`/${name}`));
  args.push('--perms', '0755', '--dir', '/etc');
  const etc = [
    ...ETC,
    ...readdirSync('/etc').filter((name) => ETC_PREFIXES.some((prefix) => name.startsWith(prefix))),
  ];
  for (const name of etc) args.push(...entryArgs(join('/etc', name)));
  return args;
}

/** A link stays a link (merged /usr), anything else is bound read-only; a missing entry is skipped. */
function entryArgs(path: string): string[] {
  if (!existsSync(path) && !isLink(path)) return [];
  if (isLink(path)) return ['--symlink', readlinkSync(path), path];
  return ['--ro-bind', path, path];
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Variables of Dispatch's own environment that say which certificate authorities to trust, passed on
 * when they point into `/etc/ssl` (which every sandbox sees): an operator who trusts a company CA wants
 * functions and builds to trust it too.
 */
export function trustEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const names = [
    'SSL_CERT_FILE',
    'SSL_CERT_DIR',
    'NODE_EXTRA_CA_CERTS',
    'REQUESTS_CA_BUNDLE',
    'PIP_CERT',
    'CURL_CA_BUNDLE',
  ];
  const trusted: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value && (value === '/etc/ssl' || value.startsWith('/etc/ssl/'))) trusted[name] = value;
  }
  return trusted;
}

/** Where Debian keeps the system's certificate authorities (update-ca-certificates adds a company CA). */
const SYSTEM_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
const SYSTEM_DIR = '/etc/ssl/certs';

/**
 * The system's store of certificate authorities as OpenSSL's variables (the operator's own when set,
 * else Debian's), or nothing when this host has none. Node started with `--use-openssl-ca` reads it at
 * its first TLS connection, where `NODE_EXTRA_CA_CERTS` is parsed at every start: 40 ms of a function's
 * cold start on the bench machine.
 */
export function systemTrustStore(env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  const trusted = trustEnv(env);
  const file = trusted['SSL_CERT_FILE'] ?? (existsSync(SYSTEM_BUNDLE) ? SYSTEM_BUNDLE : undefined);
  const dir = trusted['SSL_CERT_DIR'] ?? (existsSync(SYSTEM_DIR) ? SYSTEM_DIR : undefined);
  if (!file && !dir) return undefined;
  return { ...(file ? { SSL_CERT_FILE: file } : {}), ...(dir ? { SSL_CERT_DIR: dir } : {}) };
}
