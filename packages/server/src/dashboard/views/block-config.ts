import type { WorkflowBlock } from '@verdict/core';
import { functionLanguageName, truncate } from '../format.js';
import { html, type SafeHtml } from '../html.js';

const SUMMARY_ENTRIES = 12;
const SUMMARY_VALUE_CHARS = 120;
const SCHEMA_FIELDS_SHOWN = 8;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `invoice_number, total, currency …` for a JSON schema with properties; null for anything else. */
function schemaFields(value: Record<string, unknown>): string | null {
  if (!isRecord(value.properties)) return null;
  const names = Object.keys(value.properties);
  const shown = names.slice(0, SCHEMA_FIELDS_SHOWN).join(', ');
  const more = names.length > SCHEMA_FIELDS_SHOWN ? ` and ${names.length - SCHEMA_FIELDS_SHOWN} more` : '';
  return names.length === 0 ? 'a schema without fields' : `a schema with fields ${shown}${more}`;
}

/** One config value in a line: short values whole, long text by its first line, structures by their shape. */
function summarizeValue(value: unknown): string {
  if (typeof value === 'string') {
    const lines = value.split('\n');
    return lines.length > 1 ? `${truncate(lines[0]!, SUMMARY_VALUE_CHARS)} … (${lines.length} lines)` : truncate(value, SUMMARY_VALUE_CHARS);
  }
  if (Array.isArray(value)) return value.length === 1 ? '1 item' : `${value.length} items`;
  if (isRecord(value)) {
    const keys = Object.keys(value);
    return schemaFields(value) ?? (keys.length === 0 ? '{}' : `{ ${truncate(keys.join(', '), SUMMARY_VALUE_CHARS)} }`);
  }
  return JSON.stringify(value) ?? String(value);
}

/** A block's configuration in a few lines, for blocks whose behaviour is not code. */
function configSummary(block: WorkflowBlock): SafeHtml {
  const entries = Object.entries(block.config ?? {});
  if (entries.length === 0) return html`<p class="muted small">No configuration.</p>`;
  const shown = entries.slice(0, SUMMARY_ENTRIES);
  const more = entries.length - shown.length;
  return html`<dl class="config-summary" aria-label="Configuration of ${block.label || block.id}">
    ${shown.map(([key, value]) => html`<div><dt><code>${key}</code></dt><dd>${summarizeValue(value)}</dd></div>`)}
    ${more > 0 ? html`<div><dt class="muted">…</dt><dd class="muted">${more} more settings</dd></div>` : ''}
  </dl>`;
}

/**
 * What a block does: a function block's code (marked with its own language, so Python is not
 * shown as JavaScript), else a summary of its configuration.
 */
export function blockBehaviour(block: WorkflowBlock): SafeHtml {
  const language = functionLanguageName(block);
  const code = block.config?.code;
  if (!language || typeof code !== 'string') return configSummary(block);
  return html`<details class="block-code" open><summary>${language} code</summary><pre class="code" tabindex="0" aria-label="${language} code of ${block.label || block.id}"><code class="language-${language.toLowerCase()}">${code}</code></pre></details>`;
}
