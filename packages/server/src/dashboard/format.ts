import { functionLanguage, type FunctionLanguage, type WorkflowBlock } from '@verdict/core';
import { html, type SafeHtml } from './html.js';

const NONE = html`<span class="muted">—</span>`;

/** `2026-11-28 14:03:05 UTC` in a `<time>` element; a dash when there is no time yet. */
export function formatTime(iso: string | null): SafeHtml {
  if (!iso) return NONE;
  const readable = `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
  return html`<time datetime="${iso}">${readable}</time>`;
}

export function formatDuration(ms: number | null): SafeHtml | string {
  if (ms === null) return NONE;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * The one word that says where a test stands: its verdict once it ran to completion, else its
 * lifecycle status; `never run` when there is no result at all.
 */
export function outcomeLabel(status: string | null, verdict: string | null): string {
  if (status === null) return 'never run';
  if (status === 'completed' && verdict) return verdict;
  return status;
}

/** A coloured label; the class is derived from a fixed vocabulary, the text is escaped. */
export function badge(label: string): SafeHtml {
  return html`<span class="badge badge-${label.replace(/[^a-z]/g, '-')}">${label}</span>`;
}

export function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

const LANGUAGE_NAMES: Record<FunctionLanguage, string> = { javascript: 'JavaScript', python: 'Python' };

/** `Python` or `JavaScript` for a function block, as its config says; null for any other block. */
export function functionLanguageName(block: Pick<WorkflowBlock, 'type' | 'config'>): string | null {
  if (block.type !== 'function') return null;
  const language = functionLanguage(block.config);
  return language ? LANGUAGE_NAMES[language] : null;
}
