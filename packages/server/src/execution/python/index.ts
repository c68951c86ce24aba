export { DEFAULT_PYTHON_MEMORY_MB, PythonSandbox, type PythonJob, type PythonSandboxOptions } from './python-sandbox.js';
export { DEFAULT_PYTHON } from './interpreter.js';
export { PythonOutput } from './answers.js';
