import { Redis } from "ioredis";

/** Tests own Redis databases 5–9 only; each test empties the one it uses (FLUSHDB: that database alone). */
export const REDIS_TEST_URL = (db: 5 | 6 | 7 | 8 | 9) => `redis://127.0.0.1:6379/${db}`;

/** Whether Redis answers (tests that need it are skipped, not failed, on a machine without it). */
export async function redisAvailable(): Promise<boolean> {
  const client = new Redis(REDIS_TEST_URL(5), { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** Empties one test database of Redis. */
export async function flushRedisDb(db: 5 | 6 | 7 | 8 | 9): Promise<void> {
  const client = new Redis(REDIS_TEST_URL(db), { maxRetriesPerRequest: 1 });
  try {
    await client.flushdb();
  } finally {
    client.disconnect();
  }
}
