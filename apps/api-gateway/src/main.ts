import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'api-gateway', defaultPort: 8106, modules: serviceModules });
