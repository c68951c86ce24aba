import { Lexer, LineCounter, parseDocument, type Document } from 'yaml';
import { jsonValueDepth, MAX_JSON_DEPTH } from '../../json-limits.js';
import { findUnsafeText } from '../../text-safety.js';
import { CREATABLE_BLOCK_TYPES, type BlockConfig, type BlockType, type Diagnostics } from '../../schemas/workflows.js';
import { validateBlockConfig } from '../block-config.js';
import { EdgeChecker, findCycle, CYCLE_HINT, type EdgeEndpoints, type EdgeProblem } from '../edges.js';
import { replaceConfig } from '../merge-patch.js';
import { duplicateKeys, lineLocator, nonFinitePath, refuseUnknownKeys, SpecReport, type SpecPath } from './diagnostics.js';
import { readTests } from './tests.js';
import { containerDepths, SPEC_API_VERSION, SPEC_KIND, type ParsedSpec, type SpecBlock, type SpecEdge } from './model.js';
import { isJsonObject, isSet, preview, type JsonObject } from '../values.js';

export interface SpecParseResult {
  /** Present only when the diagnostics hold no error. */
  spec: ParsedSpec | null;
  diagnostics: Diagnostics;
}

const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,200}$/;
const ID_RULE = 'up to 200 letters, digits, `_`, `-`, `.` or `:`';
const CONTAINER_TYPES: ReadonlySet<BlockType> = new Set(['while_loop', 'for_each']);
const KEYS = {
  root: ['apiVersion', 'kind', 'metadata', 'spec'],
  metadata: ['id', 'name', 'description'],
  spec: ['blocks', 'edges', 'tests'],
  position: ['x', 'y'],
  block: ['type', 'label', 'position', 'width', 'height', 'parent_id', 'config'],
  edge: ['id', 'from', 'to'],
  endpoint: ['block', 'handle'],
};

function readString(report: SpecReport, value: unknown, path: SpecPath, maxLength: number): string | undefined {
  if (!isSet(value)) return undefined;
  if (typeof value === 'string' && value.length <= maxLength) return value;
  report.error('INVALID_FIELD', path, `${path.at(-1)} must be a string of at most ${maxLength} characters; got ${preview(value)}.`);
  return undefined;
}

function readNumber(report: SpecReport, value: unknown, path: SpecPath): number | null {
  if (!isSet(value)) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  report.error('INVALID_FIELD', path, `${path.at(-1)} must be a finite number; got ${preview(value)}.`);
  return null;
}

function readHeader(root: JsonObject, report: SpecReport): void {
  refuseUnknownKeys(report, root, KEYS.root, []);
  if (root.apiVersion !== SPEC_API_VERSION) {
    report.error('INVALID_API_VERSION', ['apiVersion'], `apiVersion must be "${SPEC_API_VERSION}"; got ${preview(root.apiVersion)}.`);
  }
  if (root.kind !== SPEC_KIND) report.error('INVALID_KIND', ['kind'], `kind must be "${SPEC_KIND}"; got ${preview(root.kind)}.`);
}

function readMetadata(value: unknown, report: SpecReport): ParsedSpec['metadata'] | null {
  if (!isJsonObject(value)) {
    report.error('MISSING_FIELD', ['metadata'], 'metadata is required: a mapping with the workflow id, e.g. {id: wf_invoices, name: Invoices}.');
    return null;
  }
  refuseUnknownKeys(report, value, KEYS.metadata, ['metadata']);
  const name = readString(report, value.name, ['metadata', 'name'], 200);
  const description = readString(report, value.description, ['metadata', 'description'], 4000);
  if (!isSet(value.id)) {
    report.error('MISSING_FIELD', ['metadata', 'id'], "metadata.id is required: the workflow's durable id (an existing id updates that workflow, a new one creates it).");
    return null;
  }
  if (typeof value.id !== 'string' || !ID_PATTERN.test(value.id)) {
    report.error('INVALID_FIELD', ['metadata', 'id'], `metadata.id must be ${ID_RULE}; got ${preview(value.id)}.`);
    return null;
  }
  return { id: value.id, ...(name !== undefined && { name }), ...(description !== undefined && { description }) };
}

function readType(value: unknown, path: SpecPath, report: SpecReport): BlockType | null {
  if ((CREATABLE_BLOCK_TYPES as readonly unknown[]).includes(value)) return value as BlockType;
  const code = isSet(value) ? 'UNKNOWN_BLOCK_TYPE' : 'MISSING_FIELD';
  report.error(code, [...path, 'type'], `Block type must be one of ${CREATABLE_BLOCK_TYPES.join(', ')}; got ${preview(value)}.`);
  return null;
}

function readPosition(value: unknown, path: SpecPath, report: SpecReport): SpecBlock['position'] {
  if (!isSet(value)) return { x: 0, y: 0 };
  if (!isJsonObject(value)) {
    report.error('INVALID_FIELD', path, `position must be {x: <number>, y: <number>}; got ${preview(value)}.`);
    return { x: 0, y: 0 };
  }
  refuseUnknownKeys(report, value, KEYS.position, path);
  return { x: readNumber(report, value.x, [...path, 'x']) ?? 0, y: readNumber(report, value.y, [...path, 'y']) ?? 0 };
}

function readConfig(type: BlockType, value: unknown, path: SpecPath, report: SpecReport): BlockConfig {
  if (isSet(value) && !isJsonObject(value)) {
    report.error('INVALID_BLOCK_CONFIG', path, `config must be a mapping; got ${preview(value)}.`);
    return {};
  }
  const config = replaceConfig((value ?? {}) as BlockConfig);
  for (const issue of validateBlockConfig(type, config)) report.error(issue.code ?? 'INVALID_BLOCK_CONFIG', [...path, ...issue.path], issue.message);
  const nonFinite = nonFinitePath(config);
  if (nonFinite) report.error('INVALID_BLOCK_CONFIG', [...path, ...nonFinite], 'Config values must be JSON: .nan and .inf have no JSON form.');
  return config;
}

function readBlock(id: string, value: unknown, path: SpecPath, report: SpecReport): SpecBlock | null {
  if (!ID_PATTERN.test(id)) report.error('INVALID_FIELD', path, `Block id "${id}" must be ${ID_RULE}.`);
  if (!isJsonObject(value)) {
    report.error('INVALID_FIELD', path, `Block "${id}" must be a mapping with at least a type, e.g. {type: extract}.`);
    return null;
  }
  refuseUnknownKeys(report, value, KEYS.block, path);
  const type = readType(value.type, path, report);
  if (!type) return null;
  const parentId = readString(report, value.parent_id, [...path, 'parent_id'], 200);
  return {
    type,
    label: readString(report, value.label, [...path, 'label'], 200) ?? '',
    position: readPosition(value.position, [...path, 'position'], report),
    width: readNumber(report, value.width, [...path, 'width']),
    height: readNumber(report, value.height, [...path, 'height']),
    parent_id: parentId ?? null,
    config: readConfig(type, value.config, [...path, 'config'], report),
  };
}

function checkParents(blocks: Map<string, SpecBlock>, declared: Set<string>, report: SpecReport): void {
  const { looped } = containerDepths(blocks);
  for (const [id, block] of blocks) {
    const parentId = block.parent_id;
    if (parentId === null) continue;
    const path = ['spec', 'blocks', id, 'parent_id'];
    const parent = blocks.get(parentId);
    if (!declared.has(parentId)) report.error('UNKNOWN_BLOCK_REFERENCE', path, `parent_id "${parentId}" is not a block of this spec.`);
    else if (parent && !CONTAINER_TYPES.has(parent.type)) {
      report.error('INVALID_PARENT', path, `parent_id "${parentId}" is a ${parent.type} block; only while_loop and for_each blocks contain other blocks.`);
    } else if (looped.has(id)) report.error('INVALID_PARENT', path, `Block "${id}" is inside itself through its parent_id chain.`);
  }
}

function readBlocks(value: unknown, report: SpecReport): { blocks: Map<string, SpecBlock>; declared: Set<string> } {
  const blocks = new Map<string, SpecBlock>();
  if (!isSet(value)) return { blocks, declared: new Set() };
  if (!isJsonObject(value)) {
    report.error('INVALID_FIELD', ['spec', 'blocks'], 'spec.blocks must be a mapping from block id to block, e.g. {doc_in: {type: start_document}}.');
    return { blocks, declared: new Set() };
  }
  for (const [id, body] of Object.entries(value)) {
    const block = readBlock(id, body, ['spec', 'blocks', id], report);
    if (block) blocks.set(id, block);
  }
  const declared = new Set(Object.keys(value));
  checkParents(blocks, declared, report);
  return { blocks, declared };
}

const ENDPOINT_PATHS: Record<NonNullable<EdgeProblem['field']>, SpecPath> = {
  source_block: ['from', 'block'],
  source_handle: ['from', 'handle'],
  target_block: ['to', 'block'],
  target_handle: ['to', 'handle'],
};

function edgeIssueCode(problem: EdgeProblem): string {
  if (problem.reason === 'duplicate') return 'DUPLICATE_EDGE';
  return problem.reason === 'unknown_block' ? 'UNKNOWN_BLOCK_REFERENCE' : 'INVALID_EDGE_ENDPOINT';
}

interface EdgeContext {
  report: SpecReport;
  checker: EdgeChecker;
  declared: Set<string>;
}

function readEndpoint(value: unknown, path: SpecPath, ctx: EdgeContext): { block: string; handle: string | null } | null {
  if (!isJsonObject(value) || typeof value.block !== 'string' || value.block === '') {
    ctx.report.error('INVALID_EDGE_ENDPOINT', path, `${path.at(-1)} must be {block: <block id>, handle: <handle id>}; got ${preview(value)}.`);
    return null;
  }
  refuseUnknownKeys(ctx.report, value, KEYS.endpoint, path);
  if (!ctx.declared.has(value.block)) {
    ctx.report.error('UNKNOWN_BLOCK_REFERENCE', [...path, 'block'], `Block "${value.block}" is not defined under spec.blocks.`);
    return null;
  }
  if (isSet(value.handle) && typeof value.handle !== 'string') {
    ctx.report.error('INVALID_EDGE_ENDPOINT', [...path, 'handle'], `handle must be a handle id such as "output-json-0"; got ${preview(value.handle)}.`);
    return null;
  }
  return { block: value.block, handle: (value.handle as string | undefined) ?? null };
}

function readEdge(value: unknown, path: SpecPath, ctx: EdgeContext): SpecEdge | null {
  if (!isJsonObject(value)) {
    ctx.report.error('INVALID_FIELD', path, 'Each edge must be {from: {block, handle}, to: {block, handle}}.');
    return null;
  }
  refuseUnknownKeys(ctx.report, value, KEYS.edge, path);
  const id = readString(ctx.report, value.id, [...path, 'id'], 200);
  const from = readEndpoint(value.from, [...path, 'from'], ctx);
  const to = readEndpoint(value.to, [...path, 'to'], ctx);
  if (!from || !to) return null;
  const endpoints: EdgeEndpoints = { source_block: from.block, source_handle: from.handle, target_block: to.block, target_handle: to.handle };
  if (!ctx.checker.handlesOf(from.block) || !ctx.checker.handlesOf(to.block)) return null; // the block itself was refused above
  const result = ctx.checker.checkEndpoints(endpoints);
  if (!result.ok) {
    const where = result.problem.field ? ENDPOINT_PATHS[result.problem.field] : [];
    ctx.report.error(edgeIssueCode(result.problem), [...path, ...where], result.problem.message);
    return null;
  }
  ctx.checker.add(result.edge);
  return { id: id ?? null, ...result.edge };
}

function readEdges(value: unknown, blocks: Map<string, SpecBlock>, declared: Set<string>, report: SpecReport): SpecEdge[] {
  if (!isSet(value)) return [];
  if (!Array.isArray(value)) {
    report.error('INVALID_FIELD', ['spec', 'edges'], 'spec.edges must be a list of {from: {block, handle}, to: {block, handle}}.');
    return [];
  }
  const graphBlocks = [...blocks].map(([id, block]) => ({ id, type: block.type, config: block.config, parent_id: block.parent_id }));
  const ctx: EdgeContext = { report, checker: new EdgeChecker(graphBlocks), declared };
  const edges = value.flatMap((edge, index) => {
    const read = readEdge(edge, ['spec', 'edges', index], ctx);
    return read ? [{ ...read, index }] : [];
  });
  reportCycle(edges, report);
  return edges.map(({ index, ...edge }) => edge);
}

/** Reported at the cycle's last edge in the spec: the one that closed it. */
function reportCycle(edges: Array<SpecEdge & { index: number }>, report: SpecReport): void {
  const cycle = findCycle(edges);
  if (!cycle) return;
  const closing = Math.max(...cycle.map((edge) => edge.index));
  const loop = [...cycle.map((edge) => edge.source_block), cycle[0].source_block].map((id) => `"${id}"`).join(' -> ');
  report.error('WORKFLOW_CYCLE', ['spec', 'edges', closing], `These edges form a cycle: ${loop}. ${CYCLE_HINT}`);
}

function readSpec(root: unknown, report: SpecReport): ParsedSpec | null {
  if (!isJsonObject(root)) {
    report.error('INVALID_SPEC', [], `The spec must be a YAML mapping with apiVersion, kind, metadata and spec; got ${preview(root)}.`);
    return null;
  }
  readHeader(root, report);
  const metadata = readMetadata(root.metadata, report);
  if (!isJsonObject(root.spec)) {
    report.error('MISSING_FIELD', ['spec'], 'spec is required: a mapping with blocks (keyed by block id) and edges.');
    return null;
  }
  refuseUnknownKeys(report, root.spec, KEYS.spec, ['spec']);
  const { blocks, declared } = readBlocks(root.spec.blocks, report);
  const edges = readEdges(root.spec.edges, blocks, declared, report);
  const tests = readTests(root.spec.tests, { blocks, declared, report });
  return metadata && { metadata, blocks, edges, tests };
}

/** The yaml package's messages end their first line with ":" before a source excerpt. */
function firstLine(message: string): string {
  return message.split('\n')[0].replace(/:$/, '.');
}

const TOO_DEEP = `The YAML nests mappings and lists deeper than ${MAX_JSON_DEPTH} levels, the limit (MAX_JSON_DEPTH); flatten it.`;

/** The YAML library reports nesting that overflowed its recursion as a stack overflow; say what to do instead. */
function yamlErrorMessage(message: string): string {
  return message.startsWith('Maximum call stack size exceeded') ? TOO_DEEP : firstLine(message);
}

/**
 * Whether flow collections (`[…]`, `{…}`) nest deeper than `limit`. The YAML parser's time grows
 * with the square of that depth (a 2 MB line of `[` took minutes and ran out of memory), so it is
 * measured first, with the YAML lexer, which knows quotes, comments and block scalars and can stop
 * at the first token past the limit. Text with fewer brackets than that cannot reach it.
 */
function flowNestingExceeds(text: string, limit: number): boolean {
  let openers = 0;
  for (let index = 0; index < text.length && openers <= limit; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x5b || code === 0x7b) openers++;
  }
  if (openers <= limit) return false;
  let depth = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') {
      if (++depth > limit) return true;
    } else if (token === ']' || token === '}') depth--;
  }
  return false;
}

/** YAML → plain values; alias bombs and dangling aliases become diagnostics. */
const MAX_EXPANDED_NODES = 1_000_000;

/**
 * Aliases make the parsed value a graph: a recursive alias (`&a [*a]`) is a cycle, and nested
 * aliases can expand to billions of nodes. Either would hang or crash whatever walks the value
 * next, so both are refused here. Linear in the number of distinct nodes.
 */
function aliasProblem(root: unknown): string | null {
  const onPath = new Set<object>();
  const expandedSize = new Map<object, number>();
  const sizeOf = (value: unknown): number => {
    if (value === null || typeof value !== 'object') return 1;
    const known = expandedSize.get(value);
    if (known !== undefined) return known;
    if (onPath.has(value)) throw new RangeError('recursive');
    onPath.add(value);
    let size = 1;
    for (const child of Object.values(value)) {
      size += sizeOf(child);
      if (size > MAX_EXPANDED_NODES) break;
    }
    onPath.delete(value);
    expandedSize.set(value, size);
    return size;
  };
  try {
    return sizeOf(root) > MAX_EXPANDED_NODES ? `aliases expand the document to more than ${MAX_EXPANDED_NODES.toLocaleString('en')} values; write it out without nested aliases` : null;
  } catch (error) {
    if (error instanceof RangeError) return 'a recursive alias (an anchor used inside itself) makes the document infinite; remove the alias';
    throw error;
  }
}

function toPlain(doc: Document, report: SpecReport): { ok: true; value: unknown } | { ok: false } {
  try {
    const value = doc.toJS({ maxAliasCount: 100 });
    const problem = aliasProblem(value);
    if (problem) {
      report.atLine('error', 'INVALID_YAML', null, `The YAML cannot be used: ${problem}.`);
      return { ok: false };
    }
    if (jsonValueDepth(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      report.atLine('error', 'INVALID_YAML', null, TOO_DEEP);
      return { ok: false };
    }
    // YAML's own escapes (`"\0"`, `"\ud800"`) make text the request itself did not contain.
    const unsafe = findUnsafeText(value);
    for (const { path, message } of unsafe) report.error('INVALID_TEXT', path, `It ${message}.`);
    if (unsafe.length > 0) return { ok: false };
    return { ok: true, value };
  } catch (error) {
    report.atLine('error', 'INVALID_YAML', null, yamlErrorMessage(error instanceof Error ? error.message : String(error)));
    return { ok: false };
  }
}

/**
 * Parses and validates a workflow spec (`apiVersion: workflows.retab.com/v1alpha2`). Every issue
 * carries its code, message, path and line; never throws, whatever the text.
 */
export function parseWorkflowSpec(text: string): SpecParseResult {
  if (typeof text !== 'string') {
    const report = new SpecReport();
    report.atLine('error', 'INVALID_YAML', null, 'yaml_definition must be a string holding the YAML spec.');
    return { spec: null, diagnostics: report.diagnostics() };
  }
  if (flowNestingExceeds(text, MAX_JSON_DEPTH)) {
    const report = new SpecReport();
    report.atLine('error', 'INVALID_YAML', null, TOO_DEEP);
    return { spec: null, diagnostics: report.diagnostics() };
  }
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, uniqueKeys: false, prettyErrors: true });
  const report = new SpecReport(lineLocator(doc, counter));
  for (const error of doc.errors) report.atLine('error', 'INVALID_YAML', error.linePos?.[0].line ?? null, yamlErrorMessage(error.message));
  for (const { key, line } of duplicateKeys(doc, counter)) report.atLine('error', 'INVALID_YAML', line, `Key "${key}" appears twice in one mapping; keys must be unique.`);
  for (const warning of doc.warnings) report.atLine('warning', 'YAML_WARNING', warning.linePos?.[0].line ?? null, firstLine(warning.message));
  if (report.hasErrors) return { spec: null, diagnostics: report.diagnostics() };
  const plain = toPlain(doc, report);
  const spec = plain.ok ? readSpec(plain.value, report) : null;
  return { spec: report.hasErrors ? null : spec, diagnostics: report.diagnostics() };
}
