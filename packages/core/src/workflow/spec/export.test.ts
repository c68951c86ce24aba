import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportWorkflowSpec } from './export.js';
import { draftBlock, draftEdge, JS_FUNCTION } from './test-support.js';

const workflow = { id: 'wf_demo', name: 'Demo', description: '' };
const blocks = [
  draftBlock('check', 'function', { label: 'Check', position_x: 600, config: JS_FUNCTION }),
  draftBlock('10', 'start_json', { width: 120, height: 80 }),
  draftBlock('9', 'start_document', { label: 'true' }),
];
const edges = [draftEdge('edg_1', '10', null, 'check', null)];

test('exports canonical YAML: blocks sorted by id, fixed field order, defaults left out, explicit handles', () => {
  assert.equal(
    exportWorkflowSpec(workflow, blocks, edges),
    `apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata:
  id: wf_demo
  name: Demo
  description: ""
spec:
  blocks:
    "10":
      type: start_json
      position: { x: 0, y: 0 }
      width: 120
      height: 80
    "9":
      type: start_document
      label: "true"
      position: { x: 0, y: 0 }
    check:
      type: function
      label: Check
      position: { x: 600, y: 0 }
      config:
        language: javascript
        code: |
          function transform(input) {
            return { ok: true };
          }
        output_schema:
          type: object
          properties:
            ok:
              type: boolean
  edges:
    - from: { block: "10", handle: output-json-0 }
      to: { block: check, handle: input-json-0 }
`,
  );
});

test('the output does not depend on the order of blocks and edges', () => {
  const more = [...edges, draftEdge('edg_2', '9', 'output-file-0', 'x', 'input-file-0')];
  const withX = [...blocks, draftBlock('x', 'parse')];
  assert.equal(exportWorkflowSpec(workflow, withX, more), exportWorkflowSpec(workflow, [...withX].reverse(), [...more].reverse()));
});

test('edges are sorted by their endpoints', () => {
  const two = [draftEdge('e1', 'b', 'output-json-0', 'c', 'input-json-0'), draftEdge('e2', 'a', 'output-json-0', 'c', 'input-json-0')];
  const yaml = exportWorkflowSpec(workflow, [], two);
  assert.ok(yaml.indexOf('block: a') < yaml.indexOf('block: b'));
});
