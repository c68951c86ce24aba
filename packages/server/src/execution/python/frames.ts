/**
 * The framing between Node and the zygote (packages/server/python/verdict_runner/zygote.py says
 * why it is length-prefixed). Node → zygote: u32 control length, u32 body length, control JSON,
 * body (the block's definition, then the test). Zygote → Node: u32 payload length, u32 request
 * id, u8 kind, payload.
 */

export const FrameKind = { chunk: 1, done: 2, failed: 3, ready: 4, unavailable: 5 } as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];

export interface ZygoteFrame {
  id: number;
  kind: FrameKind;
  payload: Buffer;
}

const OUT_HEADER_BYTES = 9;

/** What the zygote itself needs of a request: integers only (it never reads the body). */
export interface RequestControl {
  id: number;
  /** The template (one organization's block) that runs it; `definition` below is that block's. */
  template: number;
  timeout_ms: number;
  memory_mb: number;
  max_output_bytes: number;
}

/**
 * One request: `definition` is the block's `{code, input_schema, output_schema}` JSON (read only
 * by a template that is not running yet), `test` the test's request JSON; both assembled from
 * stored text by the caller.
 */
export function requestFrame(control: RequestControl, definition: Buffer, test: string): Buffer[] {
  const testBytes = Buffer.from(test, 'utf8');
  return frame(JSON.stringify({ ...control, template_bytes: definition.length }), [definition, testBytes], definition.length + testBytes.length);
}

export function cancelFrame(id: number): Buffer[] {
  return frame(JSON.stringify({ cancel: id }), [], 0);
}

/** Stops a template (its tests have all finished). */
export function retireFrame(template: number): Buffer[] {
  return frame(JSON.stringify({ retire: template }), [], 0);
}

function frame(controlJson: string, body: Buffer[], bodyBytes: number): Buffer[] {
  const control = Buffer.from(controlJson, 'utf8');
  const header = Buffer.allocUnsafe(8);
  header.writeUInt32BE(control.length, 0);
  header.writeUInt32BE(bodyBytes, 4);
  return [header, control, ...body];
}

/** Splits the zygote's output stream into frames, whatever the size of the pieces it arrives in. */
export class FrameDecoder {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes the frame being received needs in all (header included), once its header has arrived. */
  #awaitedBytes = OUT_HEADER_BYTES;

  /** The frames completed by `data`, in order. A large frame's pieces are joined once, when it is whole. */
  push(data: Buffer): ZygoteFrame[] {
    this.#pending.push(data);
    this.#pendingBytes += data.length;
    if (this.#pendingBytes < this.#awaitedBytes) return [];
    const frames: ZygoteFrame[] = [];
    let buffer = this.#pending.length === 1 ? this.#pending[0] : Buffer.concat(this.#pending, this.#pendingBytes);
    let offset = 0;
    while (buffer.length - offset >= OUT_HEADER_BYTES) {
      const length = buffer.readUInt32BE(offset);
      if (buffer.length - offset < OUT_HEADER_BYTES + length) break;
      const id = buffer.readUInt32BE(offset + 4);
      const kind = buffer.readUInt8(offset + 8) as FrameKind;
      frames.push({ id, kind, payload: buffer.subarray(offset + OUT_HEADER_BYTES, offset + OUT_HEADER_BYTES + length) });
      offset += OUT_HEADER_BYTES + length;
    }
    buffer = buffer.subarray(offset);
    this.#pending = buffer.length > 0 ? [buffer] : [];
    this.#pendingBytes = buffer.length;
    this.#awaitedBytes = buffer.length >= OUT_HEADER_BYTES ? OUT_HEADER_BYTES + buffer.readUInt32BE(0) : OUT_HEADER_BYTES;
    return frames;
  }
}
