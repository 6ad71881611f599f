import { runDistributedService } from '@dispatch/platform';
import { serviceModules } from './app.module.js';

runDistributedService({ service: 'functions', defaultPort: 8103, modules: serviceModules });
