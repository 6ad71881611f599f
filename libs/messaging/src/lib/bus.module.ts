import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type InjectionToken,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InProcessBus, type InProcessBusOptions } from './in-process/in-process-bus.js';
import { KafkaBus, type KafkaBusOptions } from './kafka/kafka-bus.js';
import { MESSAGE_BUS, type MessageBus } from './message-bus.js';

export type MessageBusConfig =
  ({ type: 'in-process' } & InProcessBusOptions) | ({ type: 'kafka' } & KafkaBusOptions);

export function openMessageBus(config: MessageBusConfig): MessageBus {
  switch (config.type) {
    case 'in-process':
      return new InProcessBus(config);
    case 'kafka':
      return new KafkaBus(config);
  }
}

class BusCloser implements OnApplicationShutdown {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/** A bus around the bus, made with other providers (`inject`): the platform's measuring one. */
export interface BusDecorator {
  inject: InjectionToken[];
  wrap: (bus: MessageBus, ...deps: never[]) => MessageBus;
}

/** Provides `MESSAGE_BUS` to every module of the app, closed on shutdown. */
@Global()
@Module({})
export class MessageBusModule {
  static forRoot(config: MessageBusConfig, decorator?: BusDecorator): DynamicModule {
    return {
      module: MessageBusModule,
      providers: [
        {
          provide: MESSAGE_BUS,
          inject: decorator?.inject ?? [],
          useFactory: (...deps: never[]) => {
            const bus = openMessageBus(config);
            return decorator ? decorator.wrap(bus, ...deps) : bus;
          },
        },
        BusCloser,
      ],
      exports: [MESSAGE_BUS],
    };
  }
}
