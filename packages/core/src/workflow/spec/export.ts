import { Document, YAMLMap, YAMLSeq } from 'yaml';
import { sortedBy } from '../sort.js';
import { exportTestCases, type ExportedCase } from './export-tests.js';
import { edgeSortKey, explicitEdges, SPEC_API_VERSION, SPEC_KIND, specBlockOf, type DraftBlock, type DraftEdge, type DraftTest, type DraftWorkflow } from './model.js';

/** Assertions short enough for one line are written `{path: total, kind: equals, expected: 3}`, as people write them. */
const FLOW_ASSERTION_CHARS = 100;

/** Fields at their defaults are left out so that the YAML shows only what was set; parsing restores them. */
function blockBody(doc: Document, block: DraftBlock): YAMLMap {
  const spec = specBlockOf(block);
  const body = new YAMLMap();
  body.add(doc.createPair('type', spec.type));
  if (spec.label !== '') body.add(doc.createPair('label', spec.label));
  body.add(doc.createPair('position', doc.createNode(spec.position, { flow: true })));
  if (spec.width !== null) body.add(doc.createPair('width', spec.width));
  if (spec.height !== null) body.add(doc.createPair('height', spec.height));
  if (spec.parent_id !== null) body.add(doc.createPair('parent_id', spec.parent_id));
  if (Object.keys(spec.config).length > 0) body.add(doc.createPair('config', spec.config));
  return body;
}

function edgeBody(doc: Document, edge: DraftEdge): YAMLMap {
  const body = new YAMLMap();
  body.add(doc.createPair('from', doc.createNode({ block: edge.source_block, handle: edge.source_handle }, { flow: true })));
  body.add(doc.createPair('to', doc.createNode({ block: edge.target_block, handle: edge.target_handle }, { flow: true })));
  return body;
}

function caseBody(doc: Document, kase: ExportedCase): YAMLMap {
  const body = new YAMLMap();
  body.add(doc.createPair('name', kase.name));
  body.add(doc.createPair('block', kase.block));
  if (Object.keys(kase.inputs).length > 0) body.add(doc.createPair('inputs', kase.inputs));
  const asserts = new YAMLSeq();
  for (const entry of kase.assert) asserts.add(doc.createNode(entry, { flow: JSON.stringify(entry).length <= FLOW_ASSERTION_CHARS }));
  body.add(doc.createPair('assert', asserts));
  return body;
}

/**
 * The draft as canonical YAML: blocks sorted by id, fields in a fixed order, edges sorted by their
 * endpoints with explicit handles. Edge ids are left out: an edge is identified by its endpoints.
 * With `tests`, they are written as `spec.tests` cases, in creation order.
 */
export function exportWorkflowSpec(workflow: DraftWorkflow, blocks: DraftBlock[], edges: DraftEdge[], tests?: DraftTest[]): string {
  const doc = new Document(null, { aliasDuplicateObjects: false });
  const metadata = { id: workflow.id, name: workflow.name, description: workflow.description };
  const blockMap = new YAMLMap();
  for (const block of sortedBy(blocks, (b) => b.id)) blockMap.add(doc.createPair(block.id, blockBody(doc, block)));
  const edgeList = new YAMLSeq();
  for (const edge of sortedBy(explicitEdges(blocks, edges), edgeSortKey)) edgeList.add(edgeBody(doc, edge));
  const spec = new YAMLMap();
  spec.add(doc.createPair('blocks', blockMap));
  spec.add(doc.createPair('edges', edgeList));
  if (tests) {
    const cases = new YAMLSeq();
    for (const kase of exportTestCases(tests)) cases.add(caseBody(doc, kase));
    spec.add(doc.createPair('tests', cases));
  }
  doc.contents = doc.createNode({ apiVersion: SPEC_API_VERSION, kind: SPEC_KIND, metadata });
  (doc.contents as YAMLMap).add(doc.createPair('spec', spec));
  return doc.toString({ lineWidth: 0 });
}
