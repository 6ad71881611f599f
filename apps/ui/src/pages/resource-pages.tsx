import type {
  Application,
  BaseImage,
  DeadLetter,
  EventDriver,
  EventDriverType,
  Image,
  Organization,
  Policy,
  ServiceAccount,
  Subscription,
} from '@dispatch/contracts';
import { codeColumn, nameColumn, statusColumn, textColumn, timeColumn } from '../components/columns.js';
import { EmitEvent } from './emit-event.js';
import type { Listed, ResourcePageDef } from './resource-page.js';

const created = <T extends { createdTime: number }>() =>
  timeColumn<T>('created', 'Created', (r) => r.createdTime);
const tagsText = (tags: { key: string; value: string }[] | null | undefined) =>
  (tags ?? []).map((t) => `${t.key}=${t.value}`).join(', ');

/** Kinds whose page is a table and a JSON create: every fact of them is here. */
export const RESOURCE_PAGES: ResourcePageDef<Listed>[] = [
  page<Image>({
    path: '/images',
    watchable: true,
    title: 'Images',
    noun: 'image',
    resource: (c) => c.images,
    columns: [
      nameColumn(),
      statusColumn(),
      textColumn('baseImage', 'Base image', (r) => r.baseImage),
      textColumn('language', 'Language', (r) => r.language),
      codeColumn('dependencies', 'Dependencies', (r) =>
        [
          r.runtimeDependencies?.manifest ? 'manifest' : '',
          ...(r.systemDependencies?.packages ?? []).map((p) => p.name),
        ]
          .filter(Boolean)
          .join(', '),
      ),
      created(),
    ],
    template: { name: 'my-image', baseImage: 'nodejs-base' },
  }),
  page<BaseImage>({
    path: '/base-images',
    watchable: true,
    title: 'Base images',
    noun: 'base image',
    resource: (c) => c.baseImages,
    columns: [
      nameColumn(),
      statusColumn(),
      textColumn('language', 'Language', (r) => r.language),
      codeColumn('imageURL', 'Image URL', (r) => r.imageURL),
      created(),
    ],
    template: { name: 'nodejs-base', language: 'nodejs', imageURL: 'dispatch/nodejs-base:latest' },
  }),
  page<Subscription>({
    path: '/subscriptions',
    watchable: true,
    title: 'Subscriptions',
    noun: 'subscription',
    resource: (c) => c.subscriptions,
    columns: [
      nameColumn(),
      statusColumn(),
      codeColumn('eventType', 'Event type', (r) => r.eventType),
      textColumn('function', 'Function', (r) => r.function),
      created(),
    ],
    template: { name: 'on-order', eventType: 'order.created', function: 'hello' },
    tools: EmitEvent,
  }),
  page<EventDriver>({
    path: '/event-drivers',
    watchable: true,
    title: 'Event drivers',
    noun: 'event driver',
    resource: (c) => c.eventDrivers,
    columns: [
      nameColumn(),
      statusColumn(),
      textColumn('type', 'Type', (r) => r.type),
      codeColumn('config', 'Settings', (r) => (r.config ?? []).map((s) => `${s.key}=${s.value}`).join(' ')),
      codeColumn('url', 'URL', (r) => r.url),
      created(),
    ],
    template: { name: 'every-minute', type: 'timer', config: [{ key: 'cron', value: '* * * * *' }] },
  }),
  page<EventDriverType>({
    path: '/event-driver-types',
    watchable: true,
    title: 'Event driver types',
    noun: 'event driver type',
    resource: (c) => c.eventDriverTypes,
    columns: [nameColumn(), statusColumn(), codeColumn('image', 'Program', (r) => r.image), created()],
    template: { name: 'my-driver', image: 'my-driver-program' },
  }),
  page<DeadLetter>({
    path: '/dead-letters',
    title: 'Dead letters',
    noun: 'dead letter',
    resource: (c) => c.deadLetters,
    columns: [
      nameColumn(),
      textColumn('subscription', 'Subscription', (r) => r.subscription),
      textColumn('function', 'Function', (r) => r.function),
      textColumn('attempts', 'Attempts', (r) => r.attempts),
      textColumn('error', 'Last error', (r) => r.error),
      timeColumn('failed', 'Failed', (r) => r.failedTime),
    ],
  }),
  page<Application>({
    path: '/applications',
    title: 'Applications',
    noun: 'application',
    resource: (c) => c.applications,
    columns: [nameColumn(), statusColumn(), textColumn('tags', 'Tags', (r) => tagsText(r.tags)), created()],
    template: { name: 'shop' },
  }),
  page<Organization>({
    path: '/organizations',
    title: 'Organizations',
    noun: 'organization',
    resource: (c) => c.organizations,
    columns: [
      nameColumn(),
      statusColumn(),
      codeColumn('hosts', 'Hosts', (r) => (r.hosts ?? []).join(', ')),
      created(),
    ],
    template: { name: 'acme' },
  }),
  page<ServiceAccount>({
    path: '/service-accounts',
    title: 'Service accounts',
    noun: 'service account',
    resource: (c) => c.serviceAccounts,
    columns: [nameColumn(), statusColumn(), textColumn('domain', 'Domain', (r) => r.domain), created()],
    template: { name: 'ci', publicKey: '-----BEGIN PUBLIC KEY-----\n...\n-----END PUBLIC KEY-----' },
  }),
  page<Policy>({
    path: '/policies',
    title: 'Policies',
    noun: 'policy',
    resource: (c) => c.policies,
    columns: [
      nameColumn(),
      statusColumn(),
      textColumn('global', 'Global', (r) => (r.global ? 'yes' : 'no')),
      codeColumn('rules', 'Rules', (r) =>
        (r.rules ?? [])
          .map((rule) => `${rule.subjects.join(',')}: ${rule.actions.join(',')} ${rule.resources.join(',')}`)
          .join(' | '),
      ),
      created(),
    ],
    template: {
      name: 'developers',
      rules: [{ subjects: ['group:developers'], resources: ['function', 'run'], actions: ['*'] }],
    },
  }),
];

/** Keeps each definition's row type while the list holds them all. */
function page<T extends Listed>(def: ResourcePageDef<T>): ResourcePageDef<Listed> {
  return def as unknown as ResourcePageDef<Listed>;
}
