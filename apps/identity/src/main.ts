import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'identity', defaultPort: 8101, modules: serviceModules });
