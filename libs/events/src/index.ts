export { EventsModule } from './lib/events.module.js';
export { eventsConfigFromEnv, type EventsConfig } from './lib/events.config.js';
export { parseCloudEvent } from './lib/emission/cloud-event.js';
