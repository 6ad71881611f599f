import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'events', defaultPort: 8105, modules: serviceModules });
