import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunScheduler } from './scheduler.js';
import { RUN_LIMITS } from './schemas/limits.js';
import { block, defaultBehaviour, drive, edge, fn, mustPlan, statuses } from './test-support.js';

const json = (data: unknown) => ({ type: 'json' as const, data });

const ROUTE = {
  conditions: [{ branch_name: 'high', sub_conditions: [{ path: 'data.total', operator: 'is_greater_than', value: 100 }] }],
};

/** start → cond → high: a → a2 ; else: b → b2 ; a2, b2 → merge (a join) ; a2, b2 → both (needs both) */
const branching = () =>
  mustPlan({
    blocks: [
      block('start', 'start_json'),
      block('cond', 'conditional', ROUTE),
      fn('a'),
      fn('a2'),
      fn('b'),
      fn('b2'),
      block('merge', 'merge_dicts', { inputs: [{ name: 'a' }, { name: 'b' }] }),
      block('both', 'extract', { json_schema: { type: 'object' }, inputs: [{ name: 'a', type: 'json' }, { name: 'b', type: 'json' }] }),
    ],
    edges: [
      edge('start', 'cond'),
      edge('cond', 'a', 'output-json-high'),
      edge('cond', 'b', 'output-json-else'),
      edge('a', 'a2'),
      edge('b', 'b2'),
      edge('a2', 'merge', undefined, 'input-json-a'),
      edge('b2', 'merge', undefined, 'input-json-b'),
      edge('a2', 'both', undefined, 'input-json-a'),
      edge('b2', 'both', undefined, 'input-json-b'),
    ],
  });

describe('RunScheduler: order and concurrency', () => {
  test('start creates every top-level step pending and hands out each block that waits for nothing', () => {
    const plan = mustPlan({ blocks: [block('s1', 'start_json'), block('s2', 'start_json'), fn('f')], edges: [edge('s1', 'f')] });
    const update = new RunScheduler(plan).start();
    assert.deepEqual(update.events.map((event) => [event.kind, event.step.stepId]), [
      ['created', 's1'], ['created', 'f'], ['created', 's2'], ['execute', 's1'], ['execute', 's2'],
    ]);
    assert.deepEqual(update.outcome, { status: 'running' });
  });

  test('independent branches are handed out together; a block waits for all its inputs', () => {
    const plan = mustPlan({ blocks: [block('s', 'start_json'), fn('a'), fn('b'), block('m', 'merge_dicts', { inputs: [{ name: 'a' }, { name: 'b' }] })], edges: [edge('s', 'a'), edge('s', 'b'), edge('a', 'm', undefined, 'input-json-a'), edge('b', 'm', undefined, 'input-json-b')] });
    const scheduler = new RunScheduler(plan);
    scheduler.start();
    const afterStart = scheduler.complete('s', { 'output-json-0': json(1) });
    assert.deepEqual(afterStart.events.map((event) => [event.kind, event.step.stepId]), [['execute', 'a'], ['execute', 'b']]);
    assert.deepEqual(scheduler.complete('a', { 'output-json-0': json('A') }).events, []);
    const last = scheduler.complete('b', { 'output-json-0': json('B') });
    assert.deepEqual(last.events.map((event) => event.kind), ['execute']);
    assert.deepEqual(last.events[0]!.kind === 'execute' && last.events[0]!.handleInputs, { 'input-json-a': json('A'), 'input-json-b': json('B') });
    assert.deepEqual(scheduler.complete('m', { 'output-json-0': json({}) }).outcome, { status: 'completed' });
  });

  test('a completion for a step that is not running changes nothing', () => {
    const scheduler = new RunScheduler(mustPlan({ blocks: [block('s', 'start_json'), fn('f')], edges: [edge('s', 'f')] }));
    scheduler.start();
    assert.deepEqual(scheduler.complete('f', {}).events, [], 'f has not started');
    assert.deepEqual(scheduler.complete('ghost', {}).events, []);
    scheduler.complete('s', { 'output-json-0': json(1) });
    assert.deepEqual(scheduler.complete('s', { 'output-json-0': json(2) }).events, [], 'a second report of s');
  });
});

describe('RunScheduler: branches not taken', () => {
  test('the branch not taken is skipped with a reason, and so is everything below it; the join runs on what arrived', () => {
    const plan = branching();
    const { steps, outcome } = drive(plan, defaultBehaviour(plan, { start: { total: 500 } }));
    assert.deepEqual(outcome, { status: 'completed' });
    assert.deepEqual(statuses(steps), { start: 'completed', cond: 'completed', a: 'completed', a2: 'completed', b: 'skipped', b2: 'skipped', merge: 'completed', both: 'skipped' });
    assert.match(steps.get('b')!.reason!, /input-json-0: "cond" did not route to output-json-else/);
    assert.match(steps.get('b2')!.reason!, /"b" was skipped/);
    assert.match(steps.get('both')!.reason!, /input-json-b: "b2" was skipped/);
    assert.deepEqual(steps.get('merge')!.outputs, { 'output-json-0': json({ a: { total: 500 }, b: null }) });
  });

  test('the other way round takes the else branch', () => {
    const plan = branching();
    const { steps } = drive(plan, defaultBehaviour(plan, { start: { total: 5 } }));
    assert.deepEqual(statuses(steps), { start: 'completed', cond: 'completed', a: 'skipped', a2: 'skipped', b: 'completed', b2: 'completed', merge: 'completed', both: 'skipped' });
  });

  test('a conditional without else that matches nothing skips all its branches, and a join with nothing arriving is skipped', () => {
    const plan = mustPlan({
      blocks: [block('start', 'start_json'), block('cond', 'conditional', { ...ROUTE, has_else: false }), fn('a'), block('merge', 'merge_dicts', { inputs: [{ name: 'a' }] })],
      edges: [edge('start', 'cond'), edge('cond', 'a', 'output-json-high'), edge('a', 'merge', undefined, 'input-json-a')],
    });
    const { steps, outcome } = drive(plan, defaultBehaviour(plan, { start: { total: 1 } }));
    assert.deepEqual(statuses(steps), { start: 'completed', cond: 'completed', a: 'skipped', merge: 'skipped' });
    assert.deepEqual(outcome, { status: 'completed' });
  });
});

describe('RunScheduler: failure and cancel', () => {
  test('the first failing step errors the run, naming it; every unfinished step is cancelled and late reports are ignored', () => {
    const plan = mustPlan({ blocks: [block('s', 'start_json'), fn('a'), fn('b'), fn('c')], edges: [edge('s', 'a'), edge('s', 'b'), edge('a', 'c')] });
    const scheduler = new RunScheduler(plan);
    scheduler.start();
    scheduler.complete('s', { 'output-json-0': json(1) });
    const failed = scheduler.fail('a', 'TypeError: x is undefined');
    assert.deepEqual(failed.outcome, { status: 'error', failingStepId: 'a', message: 'TypeError: x is undefined' });
    assert.deepEqual(failed.events.map((event) => [event.kind, event.step.stepId]), [['cancelled', 'b'], ['cancelled', 'c']]);
    assert.match(failed.events[0]!.kind === 'cancelled' ? failed.events[0]!.reason : '', /step "a" failed/);
    assert.deepEqual(scheduler.complete('b', { 'output-json-0': json(2) }).events, []);
    assert.deepEqual(scheduler.fail('b', 'late').outcome, failed.outcome, 'the first failure stays the run error');
  });

  test('cancel ends the run and cancels every unfinished step once', () => {
    const plan = mustPlan({ blocks: [block('s', 'start_json'), fn('a')], edges: [edge('s', 'a')] });
    const scheduler = new RunScheduler(plan);
    scheduler.start();
    const cancelled = scheduler.cancel('user asked');
    assert.deepEqual(cancelled.outcome, { status: 'cancelled', reason: 'user asked' });
    assert.deepEqual(cancelled.events.map((event) => [event.kind, event.step.stepId]), [['cancelled', 's'], ['cancelled', 'a']]);
    assert.deepEqual(scheduler.cancel('again').events, []);
    assert.deepEqual(scheduler.complete('s', {}).events, []);
  });
});

/** start → loop over data.items → (double → tag) → after */
const looping = (loopConfig: Record<string, unknown> = { map_source_path: 'data.items' }) =>
  mustPlan({
    blocks: [block('start', 'start_json'), block('loop', 'for_each', loopConfig), fn('double', 'loop'), fn('tag', 'loop'), fn('after')],
    edges: [edge('start', 'loop'), edge('loop', 'double'), edge('double', 'tag'), edge('loop', 'after')],
  });

const doubling = { double: (_: unknown, inputs: Record<string, { type: string; data?: unknown }>) => ({ 'output-json-0': json((inputs['input-json-0']!.data as number) * 2) }) };

describe('RunScheduler: for_each', () => {
  test('each iteration is its own steps with loop_containers; the loop reduces their results for what follows', () => {
    const plan = looping();
    const { steps, outcome } = drive(plan, defaultBehaviour(plan, { start: { items: [1, 2, 3] } }, doubling as never));
    assert.deepEqual(outcome, { status: 'completed' });
    assert.deepEqual(Object.keys(statuses(steps)).sort(), ['after', 'loop', 'loop/0/double', 'loop/0/tag', 'loop/1/double', 'loop/1/tag', 'loop/2/double', 'loop/2/tag', 'start']);
    assert.deepEqual(steps.get('loop/1/tag')!.step.loopContainers, [{ container_id: 'loop', iteration: 1, is_parallel: true, parallel_item_index: 1 }]);
    assert.deepEqual(steps.get('loop/2/double')!.inputs, { 'input-json-0': json(3) });
    assert.deepEqual(steps.get('loop')!.outputs, { 'output-json-0': json([2, 4, 6]) });
    assert.deepEqual(steps.get('after')!.inputs, { 'input-json-0': json([2, 4, 6]) });
  });

  test('an empty array completes the loop at once with an empty result', () => {
    const plan = looping();
    const { steps, outcome } = drive(plan, defaultBehaviour(plan, { start: { items: [] } }));
    assert.deepEqual(outcome, { status: 'completed' });
    assert.deepEqual(statuses(steps), { start: 'completed', loop: 'completed', after: 'completed' });
    assert.deepEqual(steps.get('after')!.inputs, { 'input-json-0': json([]) });
  });

  test('a loop that cannot iterate fails the run, naming the loop step', () => {
    const plan = looping();
    const { steps, outcome } = drive(plan, defaultBehaviour(plan, { start: { items: 'nope' } }));
    assert.equal(outcome.status, 'error');
    assert.equal(outcome.status === 'error' && outcome.failingStepId, 'loop');
    assert.equal(steps.get('loop')!.status, 'error');
    assert.equal(steps.get('after')!.status, 'cancelled');
  });

  test('a failing iteration fails the run, naming its step', () => {
    const plan = looping();
    const { outcome, steps } = drive(plan, defaultBehaviour(plan, { start: { items: [1, 2] } }, { double: (step) => (step.stepId === 'loop/1/double' ? new Error('boom') : { 'output-json-0': json(0) }) }));
    assert.deepEqual(outcome, { status: 'error', failingStepId: 'loop/1/double', message: 'boom' });
    assert.equal(steps.get('loop')!.status, 'cancelled');
  });

  test('iterations whose end block was routed away leave no result', () => {
    const plan = mustPlan({
      blocks: [block('start', 'start_json'), block('loop', 'for_each'), block('cond', 'conditional', { conditions: [{ branch_name: 'big', sub_conditions: [{ path: 'data', operator: 'is_greater_than', value: 1 }] }], has_else: false }, 'loop'), fn('keep', 'loop')],
      edges: [edge('start', 'loop'), edge('loop', 'cond'), edge('cond', 'keep', 'output-json-big')],
    });
    const { steps } = drive(plan, defaultBehaviour(plan, { start: [1, 2, 3] }));
    assert.deepEqual(steps.get('loop')!.outputs, { 'output-json-0': json([2, 3]) });
    assert.equal(steps.get('loop/0/keep')!.status, 'skipped');
  });

  test('a loop body reads a block outside the loop; nested loops get nested step ids', () => {
    const plan = mustPlan({
      blocks: [
        block('start', 'start_json'),
        fn('rate'),
        block('groups', 'for_each', { map_source_path: 'data.groups' }),
        block('lines', 'for_each', { map_source_path: 'data.lines' }, 'groups'),
        block('price', 'merge_dicts', { inputs: [{ name: 'line' }, { name: 'rate' }] }, 'lines'),
      ],
      edges: [edge('start', 'groups'), edge('start', 'rate'), edge('groups', 'lines'), edge('lines', 'price', undefined, 'input-json-line'), edge('rate', 'price', undefined, 'input-json-rate')],
    });
    const input = { groups: [{ lines: ['a', 'b'] }, { lines: ['c'] }], rate: 2 };
    const { steps, outcome } = drive(plan, defaultBehaviour(plan, { start: input }));
    assert.deepEqual(outcome, { status: 'completed' });
    assert.deepEqual(steps.get('groups/0/lines/1/price')!.step.loopContainers.map((c) => [c.container_id, c.iteration]), [['groups', 0], ['lines', 1]]);
    assert.deepEqual(steps.get('groups/1/lines/0/price')!.outputs, { 'output-json-0': json({ line: 'c', rate: input }) });
    assert.deepEqual((steps.get('groups')!.outputs!['output-json-0'] as { data: unknown[] }).data.length, 2);
  });

  test('a loop whose steps would pass the run step limit fails instead of planning them', () => {
    const items = Array.from({ length: RUN_LIMITS.maxIterations }, (_, index) => index);
    const bodyBlocks = Math.ceil(RUN_LIMITS.maxSteps / RUN_LIMITS.maxIterations) + 1;
    const body = Array.from({ length: bodyBlocks }, (_, index) => fn(`b${index}`, 'loop'));
    const plan = mustPlan({
      blocks: [block('start', 'start_json'), block('loop', 'for_each', { max_iterations: RUN_LIMITS.maxIterations, reduce_strategy: 'none' }), ...body],
      edges: [edge('start', 'loop'), ...body.map((b) => edge('loop', b.id))],
    });
    const { outcome } = drive(plan, defaultBehaviour(plan, { start: items }));
    assert.equal(outcome.status, 'error');
    assert.match(outcome.status === 'error' ? outcome.message : '', /at most 10000/);
  });
});

describe('RunScheduler: determinism', () => {
  test('the order the engine finishes steps in does not change any step’s fate or output', () => {
    const plan = looping();
    const behaviour = defaultBehaviour(plan, { start: { items: [5, 6, 7, 8] } }, doubling as never);
    const inOrder = drive(plan, behaviour);
    for (const pick of [(ready: string[]) => ready.length - 1, (ready: string[]) => Math.floor(ready.length / 2)]) {
      const other = drive(plan, behaviour, pick);
      assert.deepEqual(statuses(other.steps), statuses(inOrder.steps));
      assert.deepEqual(other.steps.get('after')!.inputs, inOrder.steps.get('after')!.inputs);
    }
  });
});
