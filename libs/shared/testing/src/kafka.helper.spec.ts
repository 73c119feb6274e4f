import { kafkaBrokers } from './kafka.helper';

describe('kafkaBrokers', () => {
  it('defaults to the local broker and splits KAFKA_BROKERS', () => {
    expect(kafkaBrokers({})).toEqual(['127.0.0.1:9092']);
    expect(kafkaBrokers({ KAFKA_BROKERS: 'a:1, b:2,' })).toEqual(['a:1', 'b:2']);
  });
});
