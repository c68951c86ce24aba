import { newQuickJSWASMModule, newVariant, RELEASE_SYNC, type QuickJSWASMModule } from 'quickjs-emscripten';
import type { CompiledWasm, RealmSettings } from './types.js';

/** This build's lib has no WebAssembly types (they live in lib.dom); this is the one constructor used. */
declare const WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => object };

const MB = 1024 * 1024;
const WASM_PAGE_BYTES = 64 * 1024;
/** Emscripten's default initial heap for this build; the memory may not start smaller. */
const INITIAL_WASM_BYTES = 16 * MB;

/**
 * `setMemoryLimit` alone does not cap what the wasm heap grows to (one big allocation can
 * overshoot it), so each worker thread gets a fixed, non-growable memory: twice the QuickJS limit
 * plus room for the 5 MB emscripten stack and static data. When it is full, allocations fail
 * inside QuickJS ("out of memory") instead of taking memory from the process.
 */
function wasmMemoryBytes(memoryLimitMb: number): number {
  return Math.max(INITIAL_WASM_BYTES, (memoryLimitMb * 2 + 16) * MB);
}

/**
 * One QuickJS module (RELEASE_SYNC) per worker thread, on its own capped memory. Given the
 * process's compiled wasm (see `processCompiledQuickJs`), the thread instantiates it instead of
 * compiling its own.
 */
export async function loadQuickJs(settings: RealmSettings, compiled?: CompiledWasm): Promise<QuickJSWASMModule> {
  const wasmMemory = new WebAssembly.Memory({
    initial: INITIAL_WASM_BYTES / WASM_PAGE_BYTES,
    maximum: wasmMemoryBytes(settings.memoryLimitMb) / WASM_PAGE_BYTES,
  });
  return newQuickJSWASMModule(newVariant(RELEASE_SYNC, compiled ? { wasmMemory, wasmModule: compiled } : { wasmMemory }));
}
