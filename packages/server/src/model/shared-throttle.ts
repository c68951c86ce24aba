import { Redis } from 'ioredis';

/** What the other processes of a deployment learned from the model server since this one last asked. */
export interface ThrottleNews {
  /** Milliseconds until anyone may call again (0: no pause). */
  pauseRemainingMs: number;
  /** Another process was refused (429) since the last read. */
  othersThrottled: boolean;
}

/** The model server's refusals, shared by every process that calls it, so that they keep to one limit. */
export interface SharedThrottle {
  /** This process was refused and asked to pause `pauseMs`: nobody calls before that has passed. */
  report(pauseMs: number): Promise<void>;
  read(): Promise<ThrottleNews>;
}

// The pause is a key that expires when it ends (PTTL is relative, so the processes' clocks need not
// agree), lengthened but never shortened; the refusals are a counter each process compares with
// the last value it saw.
const REPORT = `
local remaining = redis.call('PTTL', KEYS[1])
if remaining < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return redis.call('INCR', KEYS[2])`;

/**
 * The throttle of a distributed deployment, in Redis under `prefix` (VERDICT_REDIS_PREFIX): one
 * read per batch of calls granted, one script per refusal. Keys expire or stay one integer.
 */
export class RedisSharedThrottle implements SharedThrottle {
  private readonly pauseKey: string;
  private readonly refusalsKey: string;
  private seenRefusals: number | null = null;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.pauseKey = `${prefix}:model:pause`;
    this.refusalsKey = `${prefix}:model:refusals`;
  }

  async report(pauseMs: number): Promise<void> {
    const refusals = Number(await this.redis.eval(REPORT, 2, this.pauseKey, this.refusalsKey, String(Math.max(1, Math.ceil(pauseMs)))));
    // Our own refusal is not news; others' refusals counted meanwhile are still news at the next read.
    if (this.seenRefusals !== null && refusals === this.seenRefusals + 1) this.seenRefusals = refusals;
  }

  async read(): Promise<ThrottleNews> {
    const replies = await this.redis.pipeline().pttl(this.pauseKey).get(this.refusalsKey).exec();
    const remaining = Number(replies?.[0]?.[1] ?? -2);
    const refusals = Number(replies?.[1]?.[1] ?? 0);
    const othersThrottled = this.seenRefusals !== null && refusals > this.seenRefusals;
    this.seenRefusals = refusals;
    return { pauseRemainingMs: remaining > 0 ? remaining : 0, othersThrottled };
  }
}

/**
 * A throttle on its own connection to `redisUrl`. Commands fail at once while Redis is away (no
 * offline queue): model calls then go on with this process's own view instead of waiting for it.
 */
export function connectSharedThrottle(redisUrl: string, prefix: string): { throttle: RedisSharedThrottle; close(): Promise<void> } {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  redis.on('error', () => undefined); // the executor's own connection reports outages
  return {
    throttle: new RedisSharedThrottle(redis, prefix),
    close: async () => {
      redis.disconnect();
    },
  };
}
