import type { AssertionModelProvider, JudgeRequest, JudgeVerdict } from '@verdict/core';
import type { ChatMessage, ModelClient } from './client.js';

const JUDGE_SYSTEM_PROMPT =
  'You are a strict, impartial evaluator of values produced by a document-processing workflow. ' +
  'Judge only the value you are given, against the rubric you are given, and explain your verdict in one or two sentences.';

function judgeSchema(expectedLabel: string | null): object {
  return {
    type: 'object',
    properties: {
      label: expectedLabel === null ? { type: 'string', enum: ['yes', 'no'] } : { type: 'string', minLength: 1 },
      reason: { type: 'string' },
      confidence: { type: 'number', minimum: 0, maximum: 1 },
    },
    required: ['label', 'reason'],
  };
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2) ?? 'null';
}

function judgeMessages({ rubric, value, expectedLabel }: JudgeRequest): ChatMessage[] {
  const question =
    expectedLabel === null
      ? 'Does the value satisfy the rubric? Answer with label "yes" or "no".'
      : 'Which label does the rubric give this value? Answer with that label, spelled exactly as in the rubric.';
  const task = `Rubric:\n${rubric}\n\nValue:\n${describeValue(value)}\n\n${question} Also give your reason and your confidence from 0 to 1.`;
  return [
    { role: 'system', content: JUDGE_SYSTEM_PROMPT },
    { role: 'user', content: task },
  ];
}

/**
 * The model-backed assertion kinds over a ModelClient: `llm_judged_as` / `llm_not_judged_as`
 * judge on `VERDICT_MODEL` at temperature 0; `similarity_gte` with `embeddings` embeds on
 * `VERDICT_EMBEDDING_MODEL`. Failures throw (the assertion engine reports them as blocked).
 */
export class ModelAssertionProvider implements AssertionModelProvider {
  constructor(
    private readonly client: ModelClient,
    /** Whose assertions it evaluates: its calls share that organization's fair turn and its cached answers. */
    private readonly organizationId = '',
  ) {}

  forOrganization(organizationId: string): ModelAssertionProvider {
    return new ModelAssertionProvider(this.client, organizationId);
  }

  async judge(request: JudgeRequest): Promise<JudgeVerdict> {
    const result = await this.client.chatJson({
      model: this.client.chatModel(undefined),
      messages: judgeMessages(request),
      jsonSchema: judgeSchema(request.expectedLabel),
      schemaName: 'judgement',
      temperature: 0,
      organizationId: this.organizationId,
      signal: request.signal ?? new AbortController().signal,
    });
    const answer = result.value as { label: string; reason: string; confidence?: number };
    return { label: answer.label.trim(), reason: answer.reason, confidence: answer.confidence ?? null };
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<number[][]> {
    const result = await this.client.embed({ model: this.client.embeddingModel(), texts, organizationId: this.organizationId, signal: signal ?? new AbortController().signal });
    return result.vectors;
  }
}
