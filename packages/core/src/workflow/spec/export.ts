import { Document, YAMLMap, YAMLSeq } from 'yaml';
import { sortedBy } from '../sort.js';
import { edgeSortKey, explicitEdges, SPEC_API_VERSION, SPEC_KIND, specBlockOf, type DraftBlock, type DraftEdge, type DraftWorkflow } from './model.js';

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

/**
 * The draft as canonical YAML: blocks sorted by id, fields in a fixed order, edges sorted by their
 * endpoints with explicit handles. Edge ids are left out: an edge is identified by its endpoints.
 */
export function exportWorkflowSpec(workflow: DraftWorkflow, blocks: DraftBlock[], edges: DraftEdge[]): string {
  const doc = new Document(null, { aliasDuplicateObjects: false });
  const metadata = { id: workflow.id, name: workflow.name, description: workflow.description };
  const blockMap = new YAMLMap();
  for (const block of sortedBy(blocks, (b) => b.id)) blockMap.add(doc.createPair(block.id, blockBody(doc, block)));
  const edgeList = new YAMLSeq();
  for (const edge of sortedBy(explicitEdges(blocks, edges), edgeSortKey)) edgeList.add(edgeBody(doc, edge));
  const spec = new YAMLMap();
  spec.add(doc.createPair('blocks', blockMap));
  spec.add(doc.createPair('edges', edgeList));
  doc.contents = doc.createNode({ apiVersion: SPEC_API_VERSION, kind: SPEC_KIND, metadata });
  (doc.contents as YAMLMap).add(doc.createPair('spec', spec));
  return doc.toString({ lineWidth: 0 });
}
