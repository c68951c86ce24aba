import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BlockConfig, BlockType } from '@verdict/core';
import type { BlockExecutionRequest, ResolvedFileInput, ResolvedHandleInput } from '../execution/blocks/types.js';
import { BlobStore, normalizeFileInput, resolvedFileInput, type StoredFile } from '../files/index.js';
import { modelConfigFromEnv } from '../config.js';
import { ModelClient } from '../model/index.js';
import { dataUrl } from './pdf-fixture.js';
import { startFakeModelServer, type FakeModelServer } from './fake-model-server.js';

/** A fake model server, a ModelClient pointed at it (VERDICT_MODEL=fake-model) and a blob store, for model-block tests. */
export interface ModelTestbed {
  server: FakeModelServer;
  models: ModelClient;
  /** Stores `content` as a file given by data URL, as a test would, and returns the handle input a block receives. */
  fileInput(filename: string, mimeType: string, content: Buffer | string): Promise<ResolvedFileInput>;
  close(): Promise<void>;
}

export async function startModelTestbed(env: Record<string, string> = {}): Promise<ModelTestbed> {
  const server = await startFakeModelServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'verdict-model-blocks-'));
  const config = modelConfigFromEnv({ VERDICT_MODEL_BASE_URL: server.baseURL, VERDICT_MODEL: 'fake-model', ...env }, dataDir)!;
  const models = new ModelClient(config, { retry: { baseDelayMs: 5, maxDelayMs: 20 } });
  const blobs = new BlobStore(dataDir);
  const files = new Map<string, StoredFile>();
  const deps = {
    blobs,
    maxFileBytes: 10 * 1024 * 1024,
    lookupFile: async (id: string) => files.get(id) ?? null,
    lookupFileBySha256: async (sha256: string) => [...files.values()].find((file) => file.sha256 === sha256) ?? null,
    registerFile: async (file: Omit<StoredFile, 'id'>) => {
      const stored = { id: `file_${files.size + 1}`, ...file };
      files.set(stored.id, stored);
      return stored;
    },
  };
  return {
    server,
    models,
    fileInput: async (filename, mimeType, content) =>
      resolvedFileInput(await normalizeFileInput({ filename, url: dataUrl(mimeType, Buffer.from(content)) }, deps), blobs),
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function blockRequest(
  type: BlockType,
  config: BlockConfig,
  handleInputs: Record<string, ResolvedHandleInput>,
  signal: AbortSignal = new AbortController().signal,
): BlockExecutionRequest {
  const jsonInputs = Object.fromEntries(Object.entries(handleInputs).filter(([, input]) => input.type === 'json'));
  const inputs = { sourceJson: JSON.stringify({ type: 'manual', handle_inputs: jsonInputs }), resolve: async () => handleInputs };
  return { block: { id: `blk_${type}`, type, label: type, config }, inputs, assertionJson: null, signal, organizationId: 'org_fixture' };
}
