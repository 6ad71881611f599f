export { ApiGatewayModule } from './lib/api-gateway.module.js';
export { gatewayConfigFromEnv, type GatewayConfig } from './lib/gateway.config.js';
export { GatewayServer } from './lib/gateway/gateway-server.js';
