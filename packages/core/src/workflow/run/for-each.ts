import { z } from 'zod';
import { isJsonObject } from '../values.js';
import { expandPath, firstConfigIssue, rootedAtData } from './json-path.js';
import { RUN_LIMITS } from './schemas/limits.js';
import type { LoopContainer } from './schemas/steps.js';

export const REDUCE_STRATEGIES = ['concat_array', 'first', 'last', 'none'] as const;
export type ReduceStrategy = (typeof REDUCE_STRATEGIES)[number];
/** Retab's default `max_iterations`. */
export const DEFAULT_MAX_ITERATIONS = 100;

const ForEachConfigSchema = z.object({
  map_method: z.literal('iterate_array', { message: 'Verdict runs for_each over a JSON array only (map_method iterate_array); split_by_page and split_by_key are not supported' }).nullish(),
  map_source_path: z.string().max(1_000).nullish(),
  max_iterations: z
    .number()
    .int()
    .min(1)
    .max(RUN_LIMITS.maxIterations, `max_iterations is at most ${RUN_LIMITS.maxIterations}`)
    .nullish(),
  reduce_strategy: z.enum(REDUCE_STRATEGIES).nullish(),
  reduce_concat_data_key: z.string().min(1).nullish(),
  reduce_concat_item_key: z.string().min(1).nullish(),
});

export interface ForEachConfig {
  /** Where the array is in the loop's input, rooted at `data` like a conditional's paths; the whole input when absent. */
  sourcePath: string;
  maxIterations: number;
  reduceStrategy: ReduceStrategy;
  /** concat_array: take this key of each iteration's result instead of the whole result. */
  itemKey: string | null;
  /** concat_array: wrap the array as `{[dataKey]: array}`. */
  dataKey: string | null;
}

export type ParsedForEach = { ok: true; config: ForEachConfig } | { ok: false; message: string };

export function parseForEachConfig(config: unknown): ParsedForEach {
  const parsed = ForEachConfigSchema.safeParse(isJsonObject(config) ? config : {});
  if (!parsed.success) return { ok: false, message: firstConfigIssue(parsed.error) };
  const sourcePath = (parsed.data.map_source_path ?? '').trim();
  const checked = expandPath(null, sourcePath, 0);
  if (!checked.ok) return { ok: false, message: `config.map_source_path: ${checked.message}` };
  if (checked.wildcard) return { ok: false, message: 'config.map_source_path: name one array; `*` is not allowed here' };
  return {
    ok: true,
    config: {
      sourcePath,
      maxIterations: parsed.data.max_iterations ?? DEFAULT_MAX_ITERATIONS,
      reduceStrategy: parsed.data.reduce_strategy ?? 'concat_array',
      itemKey: parsed.data.reduce_concat_item_key ?? null,
      dataKey: parsed.data.reduce_concat_data_key ?? null,
    },
  };
}

export type IterationPlan = { ok: true; items: unknown[] } | { ok: false; message: string };

/**
 * The items a for_each iterates over: the array at its source path. An input that holds no array
 * there, or an array longer than `max_iterations`, fails the loop with a message: dropping items
 * silently would make a run look complete when it is not.
 */
export function planIterations(config: ForEachConfig, input: unknown): IterationPlan {
  const reached = expandPath({ data: input }, rootedAtData(config.sourcePath), 1);
  const where = config.sourcePath === '' ? 'the input' : `map_source_path \`${config.sourcePath}\``;
  if (!reached.ok) return { ok: false, message: reached.message };
  const [item] = reached.items;
  if (!item?.found || !Array.isArray(item.value)) {
    return { ok: false, message: `for_each iterates over an array, but ${where} is ${item?.found ? typeof item.value === 'object' && item.value !== null ? 'an object' : JSON.stringify(item.value) : 'missing'}.` };
  }
  if (item.value.length > config.maxIterations) {
    return { ok: false, message: `${where} holds ${item.value.length} items, more than max_iterations (${config.maxIterations}); raise max_iterations (at most ${RUN_LIMITS.maxIterations}) or shorten the array.` };
  }
  return { ok: true, items: item.value };
}

/**
 * The loop's output from its iterations' results, in iteration order (an iteration whose result
 * block did not produce an output is left out): concat_array gives the array (each result's
 * `itemKey` when set, wrapped as `{[dataKey]: …}` when set), first and last one result (null when
 * there is none), none gives null.
 */
export function reduceIterations(config: ForEachConfig, results: readonly unknown[]): unknown {
  switch (config.reduceStrategy) {
    case 'first':
      return results.length > 0 ? results[0] : null;
    case 'last':
      return results.length > 0 ? results[results.length - 1] : null;
    case 'none':
      return null;
    case 'concat_array': {
      const items = config.itemKey === null ? [...results] : results.map((result) => (isJsonObject(result) && Object.hasOwn(result, config.itemKey!) ? result[config.itemKey!] : null));
      return config.dataKey === null ? items : Object.fromEntries([[config.dataKey, items]]);
    }
  }
}

/** One level of a step's container hierarchy, for `loop_containers`. */
export interface IterationLevel {
  loopBlockId: string;
  loopStepId: string;
  iteration: number;
}

/**
 * The step id of a block: its block id at the top level; inside loops, each enclosing loop's step
 * id and the iteration, then the block id (`loop/2/extract`, `outer/0/inner/3/fn`). Block ids
 * cannot contain `/`, so the id is unique per iteration and the same on every replay.
 */
export function stepIdFor(blockId: string, enclosing: readonly IterationLevel[]): string {
  const innermost = enclosing[enclosing.length - 1];
  return innermost === undefined ? blockId : `${innermost.loopStepId}/${innermost.iteration}/${blockId}`;
}

/** Iterations run side by side, like independent branches: each level is parallel, indexed by its iteration. */
export function loopContainersFor(enclosing: readonly IterationLevel[]): LoopContainer[] {
  return enclosing.map((level) => ({ container_id: level.loopBlockId, iteration: level.iteration, is_parallel: true, parallel_item_index: level.iteration }));
}
