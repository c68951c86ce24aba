import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TemplateRegistry, type TemplateBounds } from './templates.js';

function registry(bounds: Partial<TemplateBounds> = {}) {
  const retired: number[] = [];
  const templates = new TemplateRegistry({ total: 10, perTenant: 10, idleMs: 1000, ...bounds }, (number) => retired.push(number));
  const use = (tenant: string, key: string, now: number) => {
    const entry = templates.acquire(tenant, key, () => Buffer.from(key), now);
    templates.release(entry, now);
    return entry.number;
  };
  return { templates, retired, use };
}

describe('TemplateRegistry', () => {
  test('one template per organization and key: the same code of two organizations gets two', () => {
    const { use } = registry();
    const a = use('org_a', 'code', 0);
    assert.equal(use('org_a', 'code', 1), a);
    assert.notEqual(use('org_b', 'code', 2), a);
    assert.notEqual(use('org_a', 'other code', 3), a);
  });

  test("past its own bound an organization loses its least recently used idle template, never a busy one", () => {
    const { templates, retired, use } = registry({ perTenant: 2 });
    const busy = templates.acquire('org_a', 'busy', () => Buffer.from('busy'), 0);
    const idle = use('org_a', 'idle', 1);
    use('org_a', 'third', 2);
    assert.deepEqual(retired, [idle]);
    use('org_a', 'fourth', 3);
    assert.equal(retired.length, 2, 'the third (idle) one went, the busy one stays');
    assert.ok(!retired.includes(busy.number));
    assert.ok(templates.numbersOf('org_a').includes(busy.number));
    templates.release(busy, 4);
    use('org_a', 'fifth', 5);
    assert.ok(!retired.includes(busy.number), 'fourth (idle since 3) goes before it (idle since 4)');
    use('org_a', 'sixth', 6);
    assert.ok(retired.includes(busy.number), 'once idle, it goes in its turn');
  });

  test('past the total bound the organization holding the most loses one of its own: another organization keeps its template', () => {
    const { templates, retired, use } = registry({ total: 4, perTenant: 4 });
    const victimOfNobody = use('org_b', 'b code', 0);
    const flooder = Array.from({ length: 6 }, (_, n) => use('org_a', `a code ${n}`, 1 + n));
    assert.equal(templates.stats().templates, 4);
    assert.ok(!retired.includes(victimOfNobody), 'org_b kept its one template');
    assert.deepEqual(retired, flooder.slice(0, 3));
    assert.deepEqual(templates.stats().perTenant, { org_b: 1, org_a: 3 });
  });

  test('idle templates are retired after idleMs; busy ones are not', () => {
    const { templates, retired, use } = registry({ idleMs: 100 });
    const idle = use('org_a', 'idle', 0);
    const busy = templates.acquire('org_a', 'busy', () => Buffer.from('busy'), 0);
    assert.equal(templates.sweep(50), 0);
    assert.equal(templates.sweep(150), 1);
    assert.deepEqual(retired, [idle]);
    assert.notEqual(use('org_a', 'idle', 200), idle, 'used again, it is a new template');
    assert.ok(templates.numbersOf('org_a').includes(busy.number));
  });
});
