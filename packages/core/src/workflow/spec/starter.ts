/**
 * The YAML `verdict init` writes: a start_json → function workflow whose three tests pass when
 * applied and run. Block ids are unique per organization (as in Retab), so every id carries
 * `suffix`: two starters in one organization never collide.
 */
export function starterSpec(suffix: string, file = 'workflow.yaml'): string {
  const id = (name: string) => `${name}_${suffix}`;
  return `# A Verdict workflow with its tests. Apply it with \`verdict apply ${file}\`,
# then run the tests with \`verdict runs create ${id('wf_invoices')} --wait\`.
apiVersion: workflows.retab.com/v1alpha2
kind: Workflow
metadata:
  # Workflow and block ids are unique per organization: the suffix keeps this one apart.
  id: ${id('wf_invoices')}
  name: Invoice totals
spec:
  blocks:
    ${id('invoice_in')}:
      type: start_json
      label: Invoice
      position: {x: 0, y: 0}
    ${id('validate_total')}:
      type: function
      label: Validate total
      position: {x: 320, y: 0}
      config:
        language: javascript
        output_schema:
          type: object
          properties:
            is_valid: {type: boolean}
            computed_total: {type: number}
          required: [is_valid, computed_total]
        code: |
          function transform(input) {
            const net = input.line_items.reduce((sum, item) => sum + item.amount, 0);
            const total = Math.round(net * (1 + input.tax_rate) * 100) / 100;
            return { is_valid: Math.abs(total - input.stated_total) < 0.01, computed_total: total };
          }
  edges:
    - from: {block: ${id('invoice_in')}, handle: output-json-0}
      to: {block: ${id('validate_total')}, handle: input-json-0}
  # Verdict extension: each case gives a block its inputs and lists assertions on its output;
  # every assertion becomes one test, named "<case> · <kind> <path>".
  tests:
    - name: large invoice
      block: ${id('validate_total')}
      inputs:
        input-json-0: {invoice_id: INV-4, tax_rate: 0.2, stated_total: 120, line_items: [{amount: 100}]}
      assert:
        - {path: is_valid, kind: equals, expected: true}
        - {path: computed_total, kind: between, lower: 119, upper: 121}
    - name: wrong total
      block: ${id('validate_total')}
      inputs:
        input-json-0: {invoice_id: INV-5, tax_rate: 0, stated_total: 50, line_items: [{amount: 20}, {amount: 20}]}
      assert:
        - {path: is_valid, kind: equals, expected: false}
`;
}
