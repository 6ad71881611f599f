import { z } from 'zod';
import { DRIVER_NAME_PATTERN, EVENT_TYPE_PATTERN } from '../models/event.js';
import { flagField, nameField, referenceField, secretNamesField, tagsField } from './fields.js';

/** `[{key, value}]` as the upstream model has it; `--set k=v` on the CLI. */
const driverConfigField = z
  .array(
    z.object({
      key: z
        .string({ error: 'each setting needs a key' })
        .regex(/^[\w.-]+$/, 'a setting key may hold letters, digits, _, . and -'),
      value: z.string({ error: 'each setting needs a string value' }),
    }),
    { error: 'config must be a list of {key, value}' },
  )
  .optional();

/** `POST /v1/event/subscriptions` and `PUT .../{name}`: events of one type, to one function. */
export const subscriptionRequest = z.object({
  name: nameField,
  eventType: z
    .string({ error: 'eventType is required (--event-type)' })
    .regex(EVENT_TYPE_PATTERN, 'eventType may hold letters, digits, _, - and .'),
  function: referenceField('function', 'a function', ' (the function the events go to)'),
  secrets: secretNamesField,
  tags: tagsField,
});
export type SubscriptionRequest = z.input<typeof subscriptionRequest>;

/** `POST /v1/event/drivers` and `PUT .../{name}`: one running instance of a driver type. */
export const eventDriverRequest = z.object({
  name: z
    .string({ error: 'name is required' })
    .regex(DRIVER_NAME_PATTERN, 'name may hold lower-case letters, digits and - (no upper case or _)'),
  type: z.string({ error: 'type is required (timer, webhook or a driver type you added)' }).min(1),
  config: driverConfigField,
  secrets: secretNamesField,
  tags: tagsField,
});
export type EventDriverRequest = z.input<typeof eventDriverRequest>;

/** `POST /v1/event/drivertypes` and `PUT .../{name}`: a program that emits events. */
export const eventDriverTypeRequest = z.object({
  name: nameField,
  image: z
    .string({ error: 'image is required (an executable on this machine, an image in Kubernetes)' })
    .min(1, 'image must not be empty'),
  config: driverConfigField,
  expose: flagField('expose'),
  tags: tagsField,
});
export type EventDriverTypeRequest = z.input<typeof eventDriverTypeRequest>;
