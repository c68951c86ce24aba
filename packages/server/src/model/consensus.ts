import { canonicalJson } from '@verdict/core';

/** How much the samples agreed, shaped like the reconciled value: a share in [0, 1] per voted node. */
export type Likelihoods = number | Likelihoods[] | { [key: string]: Likelihoods };

export interface Consensus {
  value: unknown;
  likelihoods: Likelihoods;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Exact-match vote (canonical JSON, so key order does not matter); ties go to the earliest sample. */
function vote(samples: unknown[]): Consensus {
  const tally = new Map<string, { value: unknown; count: number }>();
  for (const sample of samples) {
    const key = canonicalJson(sample);
    const entry = tally.get(key) ?? { value: sample, count: 0 };
    entry.count++;
    tally.set(key, entry);
  }
  let best = { value: undefined as unknown, count: 0 };
  for (const entry of tally.values()) if (entry.count > best.count) best = entry;
  return { value: best.value, likelihoods: best.count / samples.length };
}

function reconcileObjects(samples: Array<Record<string, unknown>>): Consensus {
  const value: Record<string, unknown> = {};
  const likelihoods: Record<string, Likelihoods> = {};
  const keys = [...new Set(samples.flatMap((sample) => Object.keys(sample)))];
  for (const key of keys) {
    const present = samples.filter((sample) => sample[key] !== undefined);
    // A key most samples leave out is left out; otherwise the samples that have it decide its value.
    if (present.length * 2 <= samples.length) continue;
    const field = reconcile(present.map((sample) => sample[key]));
    value[key] = field.value;
    likelihoods[key] = field.likelihoods;
  }
  return { value, likelihoods };
}

function reconcileArrays(samples: unknown[][]): Consensus {
  const items = samples[0].map((_, index) => reconcile(samples.map((sample) => sample[index])));
  return { value: items.map((item) => item.value), likelihoods: items.map((item) => item.likelihoods) };
}

/**
 * Reconciles n answers to the same question by majority, field by field: objects key by key,
 * arrays item by item when all have the same length (else the most common whole array), and
 * anything else by exact-match vote. Likelihoods report the winning share at each voted node.
 */
export function reconcile(samples: unknown[]): Consensus {
  if (samples.length === 0) throw new RangeError('reconcile needs at least one sample');
  if (samples.every(isPlainObject)) return reconcileObjects(samples);
  if (samples.every(Array.isArray) && samples.every((sample) => sample.length === samples[0].length)) return reconcileArrays(samples);
  return vote(samples);
}
