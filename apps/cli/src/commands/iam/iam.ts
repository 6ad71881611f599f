import { readFileSync } from 'node:fs';
import { DomainError, type Organization, type Policy, type ServiceAccount } from '@dispatch/contracts';
import { clientFor, outputFormat, type GlobalOptions } from '../../global-options.js';
import { print, when } from '../../print.js';

export interface PolicyFlags {
  subject?: string[];
  action?: string[];
  resource?: string[];
  global?: boolean;
}

/** Repeated flags and comma-separated lists both, as the original CLI's string slices took them. */
const listOf = (values: string[] | undefined) =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);

function ruleOf(flags: PolicyFlags, fallback?: Policy['rules'][number]) {
  const rule = {
    subjects: flags.subject ? listOf(flags.subject) : (fallback?.subjects ?? []),
    resources: flags.resource ? listOf(flags.resource) : (fallback?.resources ?? []),
    actions: flags.action ? listOf(flags.action) : (fallback?.actions ?? []),
  };
  for (const [flag, values] of [
    ['--subject', rule.subjects],
    ['--resource', rule.resources],
    ['--action', rule.actions],
  ] as const)
    if (values.length === 0) throw new DomainError('INVALID_ARGUMENT', `a policy needs ${flag}`);
  return rule;
}

function publicKeyOf(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new DomainError('INVALID_ARGUMENT', `cannot read the public key file ${file}`);
  }
}

export async function createOrganization(
  name: string,
  flags: { host?: string[] },
  global: GlobalOptions,
): Promise<void> {
  await clientFor(global).organizations.create({ name, ...(flags.host && { hosts: listOf(flags.host) }) });
  console.log(`Created organization: ${name}`);
}

/** The hosts an organisation's endpoints may claim, replaced whole (`--host` repeated, or none to clear). */
export async function updateOrganization(
  name: string,
  flags: { host?: string[]; clearHosts?: boolean },
  global: GlobalOptions,
): Promise<void> {
  if (!flags.host && !flags.clearHosts)
    throw new DomainError('INVALID_ARGUMENT', 'say what changes: --host (repeatable) or --clear-hosts');
  await clientFor(global).organizations.update(name, {
    name,
    hosts: flags.clearHosts ? [] : listOf(flags.host),
  });
  console.log(`Updated organization: ${name}`);
}

export async function createPolicy(name: string, flags: PolicyFlags, global: GlobalOptions): Promise<void> {
  await clientFor(global).policies.create({ name, rules: [ruleOf(flags)], global: flags.global ?? false });
  console.log(`Created policy: ${name}`);
}

export async function createServiceAccount(
  name: string,
  flags: { publicKey: string; domain?: string },
  global: GlobalOptions,
): Promise<void> {
  await clientFor(global).serviceAccounts.create({
    name,
    publicKey: publicKeyOf(flags.publicKey),
    ...(flags.domain && { domain: flags.domain }),
  });
  console.log(`Created serviceaccount: ${name}`);
}

/** Flags not given keep the policy's rule as it is; a policy of several rules is replaced by one. */
export async function updatePolicy(name: string, flags: PolicyFlags, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const current = await client.policies.get(name);
  await client.policies.update(name, {
    name,
    rules: [ruleOf(flags, current.rules[0])],
    global: flags.global ?? current.global,
  });
  console.log(`Updated policy: ${name}`);
}

export async function updateServiceAccount(
  name: string,
  flags: { publicKey?: string; domain?: string },
  global: GlobalOptions,
): Promise<void> {
  const client = clientFor(global);
  const current = await client.serviceAccounts.get(name);
  await client.serviceAccounts.update(name, {
    name,
    publicKey: flags.publicKey ? publicKeyOf(flags.publicKey) : current.publicKey,
    ...((flags.domain ?? current.domain) && { domain: flags.domain ?? current.domain }),
  });
  console.log(`Updated serviceaccount: ${name}`);
}

export async function getOrganizations(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: Organization[] = name
    ? [await client.organizations.get(name)]
    : await client.organizations.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'HOSTS', 'CREATED'],
    ...list.map((o) => [o.name, (o.hosts ?? []).join(',') || '-', when(o.createdTime)]),
  ]);
}

export async function getPolicies(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: Policy[] = name ? [await client.policies.get(name)] : await client.policies.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'SUBJECTS', 'RESOURCES', 'ACTIONS', 'GLOBAL', 'CREATED'],
    ...list.flatMap((p) =>
      p.rules.map((r, i) => [
        i === 0 ? p.name : '',
        r.subjects.join(','),
        r.resources.join(','),
        r.actions.join(','),
        i === 0 ? String(p.global) : '',
        i === 0 ? when(p.createdTime) : '',
      ]),
    ),
  ]);
}

export async function getServiceAccounts(name: string | undefined, global: GlobalOptions): Promise<void> {
  const client = clientFor(global);
  const list: ServiceAccount[] = name
    ? [await client.serviceAccounts.get(name)]
    : await client.serviceAccounts.list();
  print(outputFormat(global), name ? list[0] : list, () => [
    ['NAME', 'DOMAIN', 'CREATED'],
    ...list.map((a) => [a.name, a.domain ?? '', when(a.createdTime)]),
  ]);
}

export async function deleteOrganization(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).organizations.delete(name);
  console.log(`Deleted organization: ${name}`);
}

export async function deletePolicy(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).policies.delete(name);
  console.log(`Deleted policy: ${name}`);
}

export async function deleteServiceAccount(name: string, global: GlobalOptions): Promise<void> {
  await clientFor(global).serviceAccounts.delete(name);
  console.log(`Deleted serviceaccount: ${name}`);
}
