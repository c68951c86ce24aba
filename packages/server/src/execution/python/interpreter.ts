import { execFile, type ExecFileException } from 'node:child_process';

/** VERDICT_PYTHON's default: `python3` on the server's PATH. */
export const DEFAULT_PYTHON = 'python3';
const PROBE_TIMEOUT_MS = 15_000;
/** os.pidfd_open and signal.pidfd_send_signal, which the zygote reaps and stops its children with. */
const MINIMUM_VERSION = [3, 9] as const;

export type Interpreter = { ok: true; executable: string; version: string } | { ok: false; message: string };

/**
 * The interpreter's own path (`sys.executable`), asked of `setting` once: the zygote is then
 * started from that path with an empty environment, which a launcher on PATH (a pyenv shim, a
 * wrapper script) may need. The question runs fixed code only, nothing of any user's.
 */
export function resolveInterpreter(setting: string, env: NodeJS.ProcessEnv): Promise<Interpreter> {
  if (setting === 'off') return Promise.resolve({ ok: false, message: 'Python function blocks are turned off on this server (VERDICT_PYTHON=off).' });
  const script = 'import sys; sys.stdout.write(sys.executable + "\\n" + "%d.%d.%d" % sys.version_info[:3])';
  return new Promise((resolve) => {
    execFile(setting, ['-I', '-S', '-c', script], { env, timeout: PROBE_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (error, stdout, stderr) => {
      if (error) return resolve({ ok: false, message: missing(setting, error, String(stderr)) });
      const [executable = '', version = ''] = String(stdout).split('\n');
      const [major = 0, minor = 0] = version.split('.').map(Number);
      if (executable === '') return resolve({ ok: false, message: `${describe(setting)} did not say where its interpreter is (sys.executable is empty).` });
      if (major < MINIMUM_VERSION[0] || (major === MINIMUM_VERSION[0] && minor < MINIMUM_VERSION[1])) {
        return resolve({ ok: false, message: `${describe(setting)} is Python ${version}; Python function blocks need Python ${MINIMUM_VERSION.join('.')} or later.` });
      }
      resolve({ ok: true, executable, version });
    });
  });
}

function describe(setting: string): string {
  return setting === DEFAULT_PYTHON ? '`python3` on PATH' : `VERDICT_PYTHON=${setting}`;
}

function missing(setting: string, error: ExecFileException, stderr: string): string {
  if (error.code === 'ENOENT') {
    return setting === DEFAULT_PYTHON
      ? 'Python function blocks need python3, which is not on this server\'s PATH: install Python 3, or set VERDICT_PYTHON to an interpreter\'s path.'
      : `VERDICT_PYTHON=${setting}: no such interpreter (${error.code}); set it to a Python 3 interpreter's path, or unset it to use python3 on PATH.`;
  }
  if (error.code === 'EACCES') return `${describe(setting)} cannot be executed (${error.code}).`;
  const why = error.killed ? `did not answer within ${PROBE_TIMEOUT_MS / 1000} s` : `failed: ${stderr.trim().split('\n').slice(-3).join(' ') || error.message}`;
  return `${describe(setting)} ${why}.`;
}
