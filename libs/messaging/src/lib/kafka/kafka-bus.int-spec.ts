import { describeMessageBusContract } from '../testing/message-bus.contract.js';
import { KafkaBus } from './kafka-bus.js';

const brokers = process.env.KAFKA_BROKERS?.split(',');
if (!brokers) {
  throw new Error('KAFKA_BROKERS is not set: start Kafka with `node tools/kafka.js start` or run `npm test`');
}

describeMessageBusContract('kafka', async () => new KafkaBus({ brokers, clientId: 'contract-test' }));
