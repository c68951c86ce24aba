import type { RequestOptions, Transport } from '../transport.js';
import type { SpecApplyResult, SpecExport, SpecParams, SpecPlan, SpecValidation } from '../types.js';
import { segment } from './list.js';

/** The declarative YAML spec of a workflow: validate, plan and apply change the draft only. */
export class Spec {
  constructor(private readonly transport: Transport) {}

  validate(body: SpecParams, options?: RequestOptions): Promise<SpecValidation> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/spec/validate', body, idempotent: true }, options);
  }

  plan(body: SpecParams, options?: RequestOptions): Promise<SpecPlan> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/spec/plan', body, idempotent: true }, options);
  }

  apply(body: SpecParams, options?: RequestOptions): Promise<SpecApplyResult> {
    return this.transport.request({ method: 'POST', path: '/v1/workflows/spec/apply', body }, options);
  }

  get(workflowId: string, options?: RequestOptions): Promise<SpecExport> {
    return this.transport.request({ method: 'GET', path: `/v1/workflows/spec/${segment(workflowId)}` }, options);
  }
}
