import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { CompiledWasm } from './types.js';

/** This build's lib has no WebAssembly types (they live in lib.dom); this is the one function used. */
declare const WebAssembly: { compile(bytes: Uint8Array): Promise<CompiledWasm> };

let compiledWasm: CompiledWasm | undefined;
let compiling: Promise<void> | undefined;

/**
 * The QuickJS wasm compiled once for the whole process, or undefined until that is done (the
 * first call starts it; after a failure each thread keeps compiling its own). Threads given it
 * skip compiling, and holding it keeps V8's optimised code for it alive across thread restarts:
 * a replacement thread then builds its first realm in ~5 ms instead of ~50 ms in cold code.
 */
export function processCompiledQuickJs(): CompiledWasm | undefined {
  compiling ??= readFile(quickJsWasmPath())
    .then((bytes) => WebAssembly.compile(bytes))
    .then(
      (compiled) => {
        compiledWasm = compiled;
      },
      () => {},
    );
  return compiledWasm;
}

/** The wasm file of the RELEASE_SYNC variant, resolved from quickjs-emscripten, which depends on it. */
function quickJsWasmPath(): string {
  const requireFromQuickJs = createRequire(createRequire(import.meta.url).resolve('quickjs-emscripten'));
  return requireFromQuickJs.resolve('@jitl/quickjs-wasmfile-release-sync/wasm');
}
