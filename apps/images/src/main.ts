import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'images', defaultPort: 8102, modules: serviceModules });
