import type { Command } from 'commander';
import type * as IamCommands from '../commands/iam/iam.js';
import { collect, type GlobalOf } from './flags.js';

type IamModule = typeof IamCommands;

/** `dispatch iam ...`: organizations, policies and service accounts. */
export function registerIam(program: Command, global: GlobalOf): void {
  /** Loaded when an iam command runs, as every command's module is. */
  const iamCall = async <K extends keyof IamModule>(fn: K): Promise<IamModule[K]> =>
    (await import('../commands/iam/iam.js'))[fn];
  const iam = program.command('iam').description('identity: organizations, policies and service accounts');
  const policyFlags = (command: Command) =>
    command
      .option('--subject <subject>', 'a user, group:<name> or <org>/<service account> (repeatable)', collect)
      .option('--resource <resource>', 'a resource kind, e.g. function, secret, or * (repeatable)', collect)
      .option('--action <action>', 'get, create, update, delete, exec or * (repeatable)', collect)
      .option('--global', 'the policy applies in every organization');

  const iamCreate = iam.command('create').description('create an organization, policy or service account');
  iamCreate
    .command('organization')
    .argument('<name>')
    .option(
      '--host <host>',
      "a domain its endpoints may claim, or *.domain (repeatable; an operator's grant)",
      collect,
    )
    .action(async (name: string, flags: { host?: string[] }) =>
      (await iamCall('createOrganization'))(name, flags, global()),
    );
  policyFlags(iamCreate.command('policy').argument('<name>')).action(async (name: string, flags: object) =>
    (await iamCall('createPolicy'))(name, flags, global()),
  );
  iamCreate
    .command('serviceaccount')
    .alias('service-account')
    .argument('<name>')
    .requiredOption('--public-key <file>', "the account's RSA public key (PEM)")
    .option('--domain <domain>', "the account's domain")
    .action(async (name: string, flags: { publicKey: string; domain?: string }) =>
      (await iamCall('createServiceAccount'))(name, flags, global()),
    );

  const iamGet = iam.command('get').description('show organizations, policies or service accounts');
  iamGet
    .command('organization')
    .alias('organizations')
    .argument('[name]')
    .action(async (name?: string) => (await iamCall('getOrganizations'))(name, global()));
  iamGet
    .command('policy')
    .alias('policies')
    .argument('[name]')
    .action(async (name?: string) => (await iamCall('getPolicies'))(name, global()));
  iamGet
    .command('serviceaccount')
    .aliases(['serviceaccounts', 'service-account'])
    .argument('[name]')
    .action(async (name?: string) => (await iamCall('getServiceAccounts'))(name, global()));

  const iamUpdate = iam.command('update').description('change an organization, policy or service account');
  iamUpdate
    .command('organization')
    .argument('<name>')
    .option('--host <host>', 'the domains its endpoints may claim, replacing the list (repeatable)', collect)
    .option('--clear-hosts', 'grant it no host')
    .action(async (name: string, flags: object) =>
      (await iamCall('updateOrganization'))(name, flags, global()),
    );
  policyFlags(iamUpdate.command('policy').argument('<name>')).action(async (name: string, flags: object) =>
    (await iamCall('updatePolicy'))(name, flags, global()),
  );
  iamUpdate
    .command('serviceaccount')
    .alias('service-account')
    .argument('<name>')
    .option('--public-key <file>', 'a new RSA public key (PEM): tokens signed with the old one stop working')
    .option('--domain <domain>', "the account's domain")
    .action(async (name: string, flags: object) =>
      (await iamCall('updateServiceAccount'))(name, flags, global()),
    );

  const iamDelete = iam.command('delete').description('delete an organization, policy or service account');
  for (const [noun, fn] of [
    ['organization', 'deleteOrganization'],
    ['policy', 'deletePolicy'],
    ['serviceaccount', 'deleteServiceAccount'],
  ] as const)
    iamDelete
      .command(noun)
      .argument('<name>')
      .action(async (name: string) => (await iamCall(fn))(name, global()));
}
