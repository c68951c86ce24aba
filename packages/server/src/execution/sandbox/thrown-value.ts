/** What the sandbox reads from a value thrown by user code (see `describeThrown`). */
export interface ThrownValue {
  name: string;
  message: string;
  stack: string;
}

const STACK_LINES_KEPT = 10;
/** QuickJS errors that mean a job hit its memory limit, with what to tell the user. */
const MEMORY_ERRORS = new Map([
  ['InternalError: out of memory', 'an allocation failed'],
  ['InternalError: string too long', 'a string grew past the maximum length'],
]);

export const UNREADABLE_THROWN_VALUE: ThrownValue = {
  name: 'Error',
  message: 'a value that cannot be displayed was thrown',
  stack: '',
};

export function parseThrownValue(json: string): ThrownValue {
  try {
    const value = JSON.parse(json) as Partial<ThrownValue>;
    return { name: String(value.name ?? ''), message: String(value.message ?? ''), stack: String(value.stack ?? '') };
  } catch {
    return UNREADABLE_THROWN_VALUE;
  }
}

/** The user-facing reason when `thrown` is QuickJS running out of memory, otherwise undefined. */
export function memoryProblem(thrown: ThrownValue): string | undefined {
  return MEMORY_ERRORS.get(formatThrown(thrown));
}

export function formatThrown({ name, message }: ThrownValue): string {
  return name ? `${name}: ${message}` : message;
}

/** Message with the line in the user's script, plus details for the result row. */
export function describeUserError(thrown: ThrownValue, scriptName: string): { message: string; details: Record<string, unknown> } {
  const location = locationIn(thrown.stack, scriptName);
  const message = formatThrown(thrown) + (location ? ` (line ${location.line})` : '');
  const stack = thrown.stack.split('\n').slice(0, STACK_LINES_KEPT).join('\n');
  return { message, details: { ...thrown, stack, ...location } };
}

/** First stack frame in the user's script, e.g. `at transform (transform.js:3:11)`. */
function locationIn(stack: string, scriptName: string): { line: number; column?: number } | undefined {
  const frame = stack.split('\n').find((line) => line.includes(`${scriptName}:`));
  const match = frame === undefined ? null : /:(\d+)(?::(\d+))?\)?\s*$/.exec(frame);
  if (!match) return undefined;
  return match[2] === undefined ? { line: Number(match[1]) } : { line: Number(match[1]), column: Number(match[2]) };
}
