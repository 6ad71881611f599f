import { Module, type DynamicModule } from '@nestjs/common';
import { ApiController, EndpointController } from './endpoint/endpoint.controller.js';
import { EndpointService } from './endpoint/endpoint.service.js';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway.config.js';
import { GatewayServer } from './gateway/gateway-server.js';

/**
 * `/v1/endpoint` and the gateway serving the endpoints on their own ports. The gateway runs functions
 * through the FUNCTION_INVOKER another module provides (the functions domain in solo).
 */
@Module({})
export class ApiGatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: ApiGatewayModule,
      controllers: [EndpointController, ApiController],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, EndpointService, GatewayServer],
    };
  }
}
