import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'api-gateway', modules: serviceModules });
