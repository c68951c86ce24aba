import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

const RENEW_IF_OWNED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
const RELEASE_IF_OWNED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/**
 * An exclusive claim on a key that expires unless renewed: one process at a time pages a run's
 * rows into the queue, and a process that dies holding it gives it up after `ttlMs`.
 */
export class RedisLease {
  private constructor(
    private readonly redis: Redis,
    readonly key: string,
    private readonly owner: string,
    readonly ttlMs: number,
  ) {}

  static async acquire(redis: Redis, key: string, ttlMs: number): Promise<RedisLease | null> {
    const owner = randomUUID();
    const taken = await redis.set(key, owner, 'PX', ttlMs, 'NX');
    return taken === 'OK' ? new RedisLease(redis, key, owner, ttlMs) : null;
  }

  /** False when the lease expired and was taken by another process meanwhile. */
  async renew(): Promise<boolean> {
    return (await this.redis.eval(RENEW_IF_OWNED, 1, this.key, this.owner, this.ttlMs)) === 1;
  }

  async release(): Promise<void> {
    await this.redis.eval(RELEASE_IF_OWNED, 1, this.key, this.owner);
  }
}
