import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'secrets', defaultPort: 8104, modules: serviceModules });
