import type { DeclarativePlanFieldChange, DeclarativePlanResourceChange, DeclarativePlanSummary } from '../../schemas/workflows.js';
import { preview } from '../values.js';

export const NO_CHANGES = 'No changes. Workflow spec is up to date.';
const SYMBOLS: Record<string, string> = { create: '+', update: '~', delete: '-', 'delete,create': '-/+' };
const VERBS: Record<string, string> = { create: 'will be created', update: 'will be updated in-place', delete: 'will be destroyed', 'delete,create': 'must be replaced' };
const shown = (value: unknown) => preview(value, 80);

/** A created or destroyed field at its default (null, "", {} or []) says nothing worth a line. */
function isBlank(value: unknown): boolean {
  return value === null || value === '' || (typeof value === 'object' && Object.keys(value).length === 0);
}

function fieldLines(field: DeclarativePlanFieldChange): string[] {
  if ((field.action === 'create' && isBlank(field.after)) || (field.action === 'delete' && isBlank(field.before))) return [];
  const symbol = SYMBOLS[field.action];
  if (field.unified_diff) return [`      ${symbol} ${field.path_display}:`, ...field.unified_diff.split('\n').map((line) => `          ${line}`)];
  if (field.action === 'create') return [`      + ${field.path_display} = ${shown(field.after)}`];
  if (field.action === 'delete') return [`      - ${field.path_display} = ${shown(field.before)}`];
  return [`      ~ ${field.path_display} = ${shown(field.before)} -> ${shown(field.after)}`];
}

function resourceLines(resource: DeclarativePlanResourceChange): string[] {
  const actions = resource.actions.join(',');
  const headings: Record<DeclarativePlanResourceChange['target'], string> = {
    edge: `edge ${resource.name}`,
    workflow: `workflow "${resource.target_id}"`,
    block: `block "${resource.target_id}" (${resource.type})`,
    test: `test "${resource.target_id}"`,
  };
  const heading = headings[resource.target];
  const fields = resource.target === 'edge' ? [] : resource.change.field_changes.flatMap(fieldLines);
  return [`  # ${resource.address} ${VERBS[actions]}`, `  ${SYMBOLS[actions]} ${heading}`, ...fields, ''];
}

/** A terraform-like text of the plan, or "No changes. Workflow spec is up to date." */
export function renderPlan(workflowId: string, creating: boolean, changes: DeclarativePlanResourceChange[], summary: DeclarativePlanSummary): string {
  if (!summary.has_changes) return NO_CHANGES;
  const replace = summary.replace > 0 ? `, ${summary.replace} to replace` : '';
  return [
    `Workflow "${workflowId}" ${creating ? 'will be created' : 'will be updated'} with the following actions:`,
    '',
    ...changes.flatMap(resourceLines),
    `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy${replace}.`,
  ]
    .map((line) => line.trimEnd())
    .join('\n');
}
