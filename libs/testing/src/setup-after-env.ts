// Integration tests talk to real Kafka, Postgres and Redis: allow for consumer-group joins.
jest.setTimeout(90_000);
