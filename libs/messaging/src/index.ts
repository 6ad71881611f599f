export * from './lib/message-bus.js';
export { InProcessBus, type InProcessBusOptions } from './lib/in-process/in-process-bus.js';
export { KafkaBus, type KafkaBusOptions } from './lib/kafka/kafka-bus.js';
export {
  MessageBusModule,
  openMessageBus,
  type BusDecorator,
  type MessageBusConfig,
} from './lib/bus.module.js';
export { validateTopic, MAX_MESSAGE_BYTES } from './lib/validation.js';
