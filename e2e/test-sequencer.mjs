// The order of the e2e files: jest's own (slowest first), except that the events suite goes last. It
// restarts the test Kafka broker, which the kubernetes shape's shared installation also uses: every
// consumer there then rejoins its group (within seconds, see KafkaSubscription), and no other suite's
// calls should have to meet that.
import Sequencer from '@jest/test-sequencer';

export default class E2eSequencer extends Sequencer {
  async sort(tests) {
    const sorted = [...(await super.sort(tests))];
    const last = sorted.filter((t) => t.path.endsWith('events.int-spec.ts'));
    return [...sorted.filter((t) => !last.includes(t)), ...last];
  }
}
