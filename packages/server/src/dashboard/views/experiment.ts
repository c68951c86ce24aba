import type { ExperimentMetricsResponse, ExperimentRun, WorkflowExperiment } from '@verdict/core';
import { badge, formatTime } from '../format.js';
import { html, type SafeHtml } from '../html.js';

const percent = (score: number | null | undefined): string => (typeof score === 'number' ? `${(score * 100).toFixed(1)}%` : '—');

export interface ExperimentRunPage {
  experiment: WorkflowExperiment;
  run: ExperimentRun;
  metrics: ExperimentMetricsResponse;
}

function scoreTable(headers: [string, string, string], rows: Array<[string, number | null, number | null]>): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">Nothing scored.</p>`;
  return html`<table>
    <thead><tr><th scope="col">${headers[0]}</th><th scope="col" class="num">${headers[1]}</th><th scope="col" class="num">${headers[2]}</th></tr></thead>
    <tbody>${rows.map(([name, score, prior]) => html`<tr><td class="cell-primary">${name}</td><td class="num" data-label="${headers[1]}">${percent(score)}</td><td class="num" data-label="${headers[2]}">${percent(prior)}</td></tr>`)}</tbody>
  </table>`;
}

/** Likelihood per field (extract), or agreement per label and the flows between labels (classifier, split). */
function aggregateSection(metrics: Extract<ExperimentMetricsResponse, { kind: 'summary' }>): SafeHtml {
  const aggregate = metrics.aggregate;
  if (aggregate === null) return html``;
  if ('likelihoods' in aggregate) {
    return html`<section class="panel"><h2>Fields</h2>${scoreTable(['Field', 'Likelihood', ''], Object.entries(aggregate.likelihoods).map(([path, score]) => [path, score, null]))}</section>`;
  }
  const flows = aggregate.flows.length
    ? html`<table><thead><tr><th scope="col">Consensus</th><th scope="col">Voted</th><th scope="col" class="num">Share of votes</th></tr></thead>
        <tbody>${aggregate.flows.map((flow) => html`<tr><td>${flow.source}</td><td>${flow.target}</td><td class="num">${percent(flow.score)}</td></tr>`)}</tbody></table>`
    : html`<p class="empty">Every vote agreed with its consensus.</p>`;
  return html`<section class="panel"><h2>Labels</h2>${scoreTable(['Label', 'Agreement', ''], Object.entries(aggregate.diag).map(([label, score]) => [label, score, null]))}<h3>Confusion flows</h3>${flows}</section>`;
}

/** One experiment run: its score beside the prior run's, per document and per field or label. */
export function experimentRunView({ experiment, run, metrics }: ExperimentRunPage): SafeHtml {
  const header = html`<h1>${experiment.name}</h1>
    <p>${badge(run.lifecycle.status)} Run <code>${run.id}</code> of block <code>${run.block_id}</code> (${run.block_type}), ${run.n_consensus} votes per document, started ${formatTime(run.timing.created_at)}.</p>`;
  if (metrics.kind === 'no_metrics') return html`${header}<p class="empty">${metrics.message}</p>`;
  if (metrics.kind === 'stale_metrics') {
    return html`${header}<section class="panel failure-panel"><h2>Stale</h2><p>${metrics.message}</p><p>Reasons: ${metrics.stale_reasons.join(', ')}</p></section>`;
  }
  if (metrics.kind !== 'summary') return header;
  return html`${header}
    <section class="panel" aria-labelledby="score-heading">
      <h2 id="score-heading">Score</h2>
      <p><strong>${percent(metrics.score)}</strong>${metrics.prior_run_id ? html` — prior run <code>${metrics.prior_run_id}</code>: ${percent(metrics.prior_score)}` : ''}</p>
      <p class="muted small">${metrics.scored_document_count} of ${metrics.total_document_count} documents scored. The score is the share of votes that agree with their consensus (docs/experiments.md).</p>
    </section>
    <section class="panel"><h2>Documents</h2>${scoreTable(['Document', 'Score', 'Prior run'], metrics.documents.map((document) => [document.filename, document.score, document.prior_score]))}</section>
    ${aggregateSection(metrics)}`;
}
