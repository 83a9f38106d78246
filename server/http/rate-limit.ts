import type { Options, Store } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { createClient } from 'redis';
import type { Logger } from '../logger';

/** What the Redis rate-limit store needs of a client: raw commands (node-redis `sendCommand`). */
export interface RedisCommander {
  sendCommand(args: string[]): Promise<unknown>;
}

/**
 * A store for express-rate-limit in Redis, so every instance counts the same hits. The store's scripts
 * are loaded on first use and again after a failure (Redis down at start-up must not disable it for good).
 */
export function redisStore(client: RedisCommander, prefix: string): Store {
  const inner = new RedisStore({ sendCommand: (...args: string[]) => client.sendCommand(args) as Promise<number>, prefix });
  let options: Options | undefined;
  let ready: Promise<void> | null = null;
  const ensure = () =>
    (ready ??= inner.init(options!).catch((err: unknown) => {
      ready = null;
      throw err;
    }));
  return {
    prefix,
    localKeys: false,
    init(o: Options) {
      options = o;
      void ensure().catch(() => undefined);
    },
    async get(key) {
      await ensure();
      return inner.get(key);
    },
    async increment(key) {
      await ensure();
      return inner.increment(key);
    },
    async decrement(key) {
      await ensure();
      await inner.decrement(key);
    },
    async resetKey(key) {
      await ensure();
      await inner.resetKey(key);
    },
  };
}

/**
 * The Redis client of the rate limits: the given one, or one of their own on `redisUrl` (connected in the
 * background, closed by `close`); none without Redis, and the limits count per instance in memory.
 */
export function rateLimitRedis(redisUrl: string | undefined, log: Logger, given?: RedisCommander): { client?: RedisCommander; close(): Promise<void> } {
  if (given) return { client: given, close: async () => undefined };
  if (!redisUrl) return { close: async () => undefined };
  const client = createClient({ url: redisUrl });
  client.on('error', (e: Error) => log.warn(`redis (rate limits): ${e.message}`));
  const connecting = client
    .connect()
    .then(() => client.unref()) // never what keeps the process alive: a stop without `close` still exits
    .catch((e: Error) => log.warn(`redis (rate limits): ${e.message}`));
  return {
    client: {
      async sendCommand(args) {
        await connecting;
        return client.sendCommand(args);
      },
    },
    close: async () => {
      await connecting;
      await client.disconnect().catch(() => undefined);
    },
  };
}
