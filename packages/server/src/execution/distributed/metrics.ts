import type { Redis } from 'ioredis';

/** Upper bounds in seconds: from a sub-millisecond cancel to a five-minute model call. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface HistogramSnapshot {
  /** Upper bounds of the buckets, ascending. */
  bounds: readonly number[];
  /** Observations per bucket, not cumulative: one entry per bound, then one for +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

export function emptySnapshot(bounds: readonly number[] = LATENCY_BUCKETS_SECONDS): HistogramSnapshot {
  return { bounds, counts: new Array<number>(bounds.length + 1).fill(0), sum: 0, count: 0 };
}

/** Observations gathered in this process since they were last handed on. */
export class Histogram {
  private current: HistogramSnapshot;

  constructor(private readonly bounds: readonly number[] = LATENCY_BUCKETS_SECONDS) {
    this.current = emptySnapshot(bounds);
  }

  observe(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    const index = this.bounds.findIndex((bound) => value <= bound);
    this.current.counts[index === -1 ? this.bounds.length : index]!++;
    this.current.sum += value;
    this.current.count++;
  }

  /** Everything observed since the last call; starts afresh. */
  take(): HistogramSnapshot {
    const taken = this.current;
    this.current = emptySnapshot(this.bounds);
    return taken;
  }
}

export const HISTOGRAMS = ['execution_seconds', 'cancel_latency_seconds', 'cancel_stop_seconds'] as const;
export type HistogramName = (typeof HISTOGRAMS)[number];

const FLUSH_INTERVAL_MS = 1000;

/**
 * Histograms of the whole deployment: each worker adds what it observed to Redis hashes once a
 * second, so any API process reports the executions and cancels of every worker.
 */
export class ClusterHistograms {
  private readonly local = new Map<HistogramName, Histogram>(HISTOGRAMS.map((name) => [name, new Histogram()]));
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  observe(name: HistogramName, seconds: number): void {
    this.local.get(name)!.observe(seconds);
  }

  startFlushing(): void {
    this.timer ??= setInterval(() => void this.flush().catch(() => undefined), FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Observations lost to a failed write are only metrics; the next flush carries on. */
  async flush(): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [name, histogram] of this.local) {
      const delta = histogram.take();
      if (delta.count === 0) continue;
      const key = this.key(name);
      delta.counts.forEach((count, index) => count > 0 && pipeline.hincrby(key, `bucket${index}`, count));
      pipeline.hincrbyfloat(key, 'sum', delta.sum);
      pipeline.hincrby(key, 'count', delta.count);
    }
    if (pipeline.length > 0) await pipeline.exec();
  }

  async read(name: HistogramName): Promise<HistogramSnapshot> {
    const fields = await this.redis.hgetall(this.key(name));
    const snapshot = emptySnapshot();
    snapshot.counts = snapshot.counts.map((_, index) => Number(fields[`bucket${index}`] ?? 0));
    snapshot.sum = Number(fields.sum ?? 0);
    snapshot.count = Number(fields.count ?? 0);
    return snapshot;
  }

  private key(name: HistogramName): string {
    return `${this.prefix}:metrics:${name}`;
  }
}
