import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ExecutableBlock } from '../fingerprints.js';
import { upstreamFingerprint } from './upstream-fingerprint.js';

const block = (id: string, config: Record<string, unknown> = {}, parentId: string | null = null): ExecutableBlock => ({ id, type: 'function', config, parent_id: parentId });
const edge = (source: string, target: string) => ({ source_block: source, target_block: target, source_handle: 'output-json-0', target_handle: 'input-json-0' });

describe('upstreamFingerprint', () => {
  const blocks = [block('start'), block('a', { code: 'a' }), block('b', { code: 'b' }), block('target', { code: 't' }), block('sibling', { code: 's' }), block('below')];
  const edges = [edge('start', 'a'), edge('a', 'target'), edge('start', 'sibling'), edge('target', 'below'), edge('b', 'sibling')];
  const base = upstreamFingerprint(blocks, edges, 'target')!;

  test('changes when a block above changes or an edge above moves', () => {
    const changedAbove = blocks.map((b) => (b.id === 'a' ? { ...b, config: { code: 'a2' } } : b));
    assert.notEqual(upstreamFingerprint(changedAbove, edges, 'target'), base);
    const rewired = edges.map((e) => (e.target_block === 'target' ? { ...e, source_handle: 'output-json-other' } : e));
    assert.notEqual(upstreamFingerprint(blocks, rewired, 'target'), base);
  });

  test('ignores the block itself, blocks beside or below it, and edge order', () => {
    const changedSelf = blocks.map((b) => (b.id === 'target' ? { ...b, config: { code: 'new' } } : b));
    assert.equal(upstreamFingerprint(changedSelf, edges, 'target'), base);
    const changedElsewhere = blocks.map((b) => (b.id === 'sibling' || b.id === 'below' || b.id === 'b' ? { ...b, config: { code: 'x' } } : b));
    assert.equal(upstreamFingerprint(changedElsewhere, edges, 'target'), base);
    assert.equal(upstreamFingerprint([...blocks].reverse(), [...edges].reverse(), 'target'), base);
  });

  test('the loop around a block and what feeds the loop are upstream of it', () => {
    const looped = [block('start'), block('loop', { map_source_path: 'data.items' }), block('body', {}, 'loop')];
    const loopEdges = [edge('start', 'loop')];
    const fingerprint = upstreamFingerprint(looped, loopEdges, 'body');
    assert.notEqual(upstreamFingerprint(looped.map((b) => (b.id === 'loop' ? { ...b, config: { map_source_path: 'data.other' } } : b)), loopEdges, 'body'), fingerprint);
    assert.notEqual(upstreamFingerprint(looped.map((b) => (b.id === 'start' ? { ...b, config: { x: 1 } } : b)), loopEdges, 'body'), fingerprint);
  });

  test('null for a block that is not there', () => {
    assert.equal(upstreamFingerprint(blocks, edges, 'ghost'), null);
  });
});
