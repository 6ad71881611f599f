import { describeMessageBusContract } from '../testing/message-bus.contract.js';
import { InProcessBus } from './in-process-bus.js';

describeMessageBusContract('in-process', async () => new InProcessBus());
