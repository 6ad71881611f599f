import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ApiError, type DispatchClient, type ResourceClient } from '@dispatch/api-client';
import { DomainError } from '@dispatch/contracts';
import { parseAllDocuments } from 'yaml';
import { clientFor, type GlobalOptions } from '../../global-options.js';
import { functionBody } from '../function/function.js';
import { resolveBaseImage } from '../image/image.js';
import { readSecretValues } from '../secret/secret.js';
import { endpointBody } from '../endpoint/endpoint.js';

type Doc = Record<string, unknown> & { kind: string; name: string };

/** A request built from a user's file: sent as written, for the API to check and refuse by field. */
type UncheckedRequest = Record<string, unknown> & { name: string };
type Verb = 'create' | 'update' | 'delete';

/** The kinds a batch file may hold, in the order they are created (dependencies first). */
const ORDER = [
  'serviceaccount',
  'policy',
  'application',
  'secret',
  'baseimage',
  'image',
  'function',
  'endpoint',
  'drivertype',
  'driver',
  'subscription',
] as const;
type Kind = (typeof ORDER)[number];

function kindOf(doc: Record<string, unknown>, index: number): Kind {
  const kind = String(doc['kind'] ?? '')
    .toLowerCase()
    .replace(/[-_]/g, '')
    // EventDriver and EventDriverType as the API names them, Driver and DriverType as the original's files.
    .replace(/^event(driver)/, '$1')
    // v0.1 named endpoints APIs.
    .replace(/^api$/, 'endpoint');
  if ((ORDER as readonly string[]).includes(kind)) return kind as Kind;
  throw new DomainError(
    'INVALID_ARGUMENT',
    `document ${index + 1}: unknown kind ${JSON.stringify(doc['kind'])}; use Application, BaseImage, Image, Function, Secret, Endpoint (API in v0.1), DriverType, Driver, Subscription, Policy or ServiceAccount`,
  );
}

function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  return (Array.isArray(value) ? value : [value]).map(String);
}

function isHttpsOnly(protocols: unknown): boolean {
  const all = list(protocols);
  return all !== undefined && all.length > 0 && all.every((p) => p.toLowerCase() === 'https');
}

/** `@file` in a text field means the file's contents, relative to the work directory. */
function text(value: unknown, workDir: string): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (!value.startsWith('@')) return value;
  return readFileSync(resolve(workDir, value.slice(1)), 'utf8');
}

function readDocFile(path: string, workDir: string, what: string): string {
  try {
    return readFileSync(resolve(workDir, path), 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `${what}: cannot read ${path}`);
  }
}

function schema(value: unknown, workDir: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'object') return value as Record<string, unknown>;
  return JSON.parse(text(value, workDir) ?? 'null') as Record<string, unknown>;
}

async function body(
  client: DispatchClient,
  kind: Kind,
  doc: Doc,
  workDir: string,
): Promise<UncheckedRequest> {
  switch (kind) {
    case 'serviceaccount':
      // The key inline (PEM, or base64 of a PEM as the original's files have it), or `publicKeyPath`.
      return {
        name: doc.name,
        publicKey:
          typeof doc['publicKeyPath'] === 'string'
            ? readDocFile(doc['publicKeyPath'], workDir, `service account ${doc.name}: publicKeyPath`)
            : doc['publicKey'],
        domain: doc['domain'] ?? undefined,
      };
    case 'policy':
      return { name: doc.name, rules: doc['rules'], global: doc['global'] === true };
    case 'application':
      return { name: doc.name, tags: doc['tags'] };
    case 'endpoint':
      // The API's fields, or the CLI's flag names (`path`, `method`, `host`, `httpsOnly`).
      return {
        ...endpointBody(doc.name, String(doc['function'] ?? ''), {
          method: list(doc['methods'] ?? doc['method']),
          path: list(doc['uris'] ?? doc['path']),
          host: list(doc['hosts'] ?? doc['host']),
          cors: doc['cors'] === true,
          httpsOnly: doc['httpsOnly'] === true || isHttpsOnly(doc['protocols']),
          disable: doc['enabled'] === false,
        }),
        // v0.1's, passed on so that the API refuses what it cannot honour rather than it being lost.
        authentication: doc['authentication'] ?? undefined,
        tls: doc['tls'] ?? undefined,
        tags: doc['tags'],
      };
    case 'drivertype':
      return {
        name: doc.name,
        image: doc['image'],
        config: doc['config'] ?? [],
        expose: doc['expose'] === true,
        tags: doc['tags'],
      };
    case 'driver':
      return {
        name: doc.name,
        type: doc['type'],
        config: doc['config'] ?? [],
        secrets: list(doc['secrets']) ?? [],
        tags: doc['tags'],
      };
    case 'subscription':
      return {
        name: doc.name,
        function: doc['function'],
        eventType: doc['eventType'] ?? doc['event-type'],
        secrets: list(doc['secrets']) ?? [],
        tags: doc['tags'],
      };
    case 'secret': {
      // Values inline, or `secretsPath` naming a JSON file as `dispatch create secret` takes.
      const path = doc['secretsPath'];
      const secrets =
        typeof path === 'string' ? readSecretValues(resolve(workDir, path)) : (doc['secrets'] ?? {});
      return { name: doc.name, secrets, tags: doc['tags'] };
    }
    case 'baseimage':
      return {
        name: doc.name,
        imageURL: doc['imageURL'] ?? doc['dockerUrl'],
        language: doc['language'],
        tags: doc['tags'],
      };
    case 'image': {
      const runtime = doc['runtimeDependencies'] as { manifest?: unknown } | undefined;
      return {
        name: doc.name,
        baseImage: await resolveBaseImage(client, String(doc['baseImage'] ?? doc['baseImageName'] ?? '')),
        runtimeDependencies: runtime ? { manifest: text(runtime.manifest, workDir) } : undefined,
        systemDependencies: doc['systemDependencies'],
        tags: doc['tags'],
      };
    }
    case 'function': {
      const sourcePath = doc['sourcePath'] ?? doc['source'];
      if (typeof sourcePath !== 'string')
        throw new DomainError('INVALID_ARGUMENT', `function ${doc.name}: sourcePath is required`);
      const s = doc['schema'] as { in?: unknown; out?: unknown } | undefined;
      const fn = await functionBody(
        doc.name,
        isAbsolute(sourcePath) ? sourcePath : resolve(workDir, sourcePath),
        {
          image: doc['image'] as string | undefined,
          handler: doc['handler'] as string | undefined,
          secret: doc['secrets'] as string[] | undefined,
          timeout: doc['timeout'] === undefined ? undefined : String(doc['timeout']),
        },
      );
      return {
        ...fn,
        schema: s ? { in: schema(s.in, workDir), out: schema(s.out, workDir) } : undefined,
        tags: doc['tags'],
      };
    }
  }
}

function resource(client: DispatchClient, kind: Kind): ResourceClient<unknown, UncheckedRequest> {
  switch (kind) {
    case 'serviceaccount':
      return client.serviceAccounts;
    case 'policy':
      return client.policies;
    case 'application':
      return client.applications;
    case 'baseimage':
      return client.baseImages;
    case 'image':
      return client.images;
    case 'function':
      return client.functions;
    case 'secret':
      return client.secrets;
    case 'endpoint':
      return client.endpoints;
    case 'subscription':
      return client.subscriptions;
    case 'drivertype':
      return client.eventDriverTypes;
    case 'driver':
      return client.eventDrivers;
  }
}

const LABEL: Record<Kind, string> = {
  serviceaccount: 'service account',
  policy: 'policy',
  application: 'application',
  secret: 'secret',
  baseimage: 'base image',
  image: 'image',
  function: 'function',
  endpoint: 'endpoint',
  subscription: 'subscription',
  drivertype: 'event driver type',
  driver: 'event driver',
};

/** `dispatch create|update|delete -f file.yaml [-w dir]`: documents of any kind, as the original CLI. */
export async function runBatch(
  verb: Verb,
  file: string,
  workDirFlag: string | undefined,
  global: GlobalOptions,
): Promise<void> {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `cannot read ${file}`);
  }
  const docs = parseAllDocuments(source).map((d, i) => {
    if (d.errors.length)
      throw new DomainError(
        'INVALID_ARGUMENT',
        `${file}: document ${i + 1} is not valid YAML: ${d.errors[0]?.message}`,
      );
    const value = d.toJS() as Record<string, unknown> | null;
    if (!value) return undefined;
    if (typeof value['name'] !== 'string')
      throw new DomainError('INVALID_ARGUMENT', `${file}: document ${i + 1} has no name`);
    return { kind: kindOf(value, i), doc: value as Doc };
  });
  const items = docs.filter((d): d is { kind: Kind; doc: Doc } => d !== undefined);
  const rank = (k: Kind) => ORDER.indexOf(k) * (verb === 'delete' ? -1 : 1);
  items.sort((a, b) => rank(a.kind) - rank(b.kind));
  const workDir = workDirFlag ?? dirname(resolve(file));
  const client = clientFor(global);
  for (const { kind, doc } of items) {
    const api = resource(client, kind);
    try {
      if (verb === 'delete') await api.delete(doc.name);
      else if (verb === 'create') await api.create(await body(client, kind, doc, workDir));
      else await api.update(doc.name, await body(client, kind, doc, workDir));
    } catch (err) {
      if (err instanceof ApiError)
        throw new ApiError(err.status, err.code, `${LABEL[kind]} ${doc.name}: ${err.message}`);
      throw err;
    }
    console.log(
      `${verb === 'create' ? 'Created' : verb === 'update' ? 'Updated' : 'Deleted'} ${LABEL[kind]}: ${doc.name}`,
    );
  }
}
