/** What the sandbox reads from a value thrown by user code (see `describeThrown`). */
export interface ThrownValue {
  name: string;
  message: string;
  stack: string;
  /** A thrown object that is not an Error (or an unreadable one): the realm is not reused after it. */
  referencesObjects: boolean;
}

/** Where the user's code sits in the script QuickJS ran, to report locations in the user's terms. */
export interface UserScript {
  name: string;
  /** Characters of wrapper before the user's code on line 1. */
  firstLineColumnShift: number;
  /** Script of sandbox helpers whose stack frames mean nothing to the user. */
  helpersName: string;
}

const STACK_LINES_KEPT = 10;
/** QuickJS errors that mean a job hit its memory limit, with what to tell the user. */
const MEMORY_ERRORS = new Map([
  ['InternalError: out of memory', 'an allocation failed'],
  ['InternalError: string too long', 'a string grew past the maximum length'],
]);
/** What users new to the sandbox run into, recognised by QuickJS's message, with what to do about it. */
const HINTS: Array<{ name: string; message: RegExp; hint: string }> = [
  {
    name: 'TypeError',
    message: /is read-only|not extensible|could not delete property|cannot define variable|not configurable|prototype is immutable|of a built-in prototype/,
    hint: "The sandbox's built-ins and global object are frozen; keep state in local variables.",
  },
  {
    name: 'ReferenceError',
    message: /is not defined/,
    hint: 'The code runs in strict mode: declare every variable with let, const or var.',
  },
];

export const UNREADABLE_THROWN_VALUE: ThrownValue = {
  name: 'Error',
  message: 'a value that cannot be displayed was thrown',
  stack: '',
  referencesObjects: true,
};

export function parseThrownValue(json: string): ThrownValue {
  try {
    const value = JSON.parse(json) as Partial<ThrownValue>;
    return {
      name: String(value.name ?? ''),
      message: String(value.message ?? ''),
      stack: String(value.stack ?? ''),
      referencesObjects: value.referencesObjects !== false,
    };
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
export function describeUserError(thrown: ThrownValue, script: UserScript): { message: string; details: Record<string, unknown> } {
  const stack = userStack(thrown.stack, script);
  const location = locationIn(stack, script.name);
  const hint = HINTS.find(({ name, message }) => thrown.name === name && message.test(thrown.message))?.hint;
  const message = formatThrown(thrown) + (location ? ` (line ${location.line})` : '') + (hint ? `. ${hint}` : '');
  return { message, details: { name: thrown.name, message: thrown.message, stack, ...location } };
}

/** The stack without helper frames, with columns on line 1 as they are in the user's code. */
function userStack(stack: string, script: UserScript): string {
  const firstLine = new RegExp(`(${escapeRegExp(script.name)}:1:)(\\d+)`);
  return stack
    .split('\n')
    .filter((frame) => !frame.includes(`${script.helpersName}:`))
    .slice(0, STACK_LINES_KEPT)
    .map((frame) => frame.replace(firstLine, (_, place: string, column: string) => place + Math.max(1, Number(column) - script.firstLineColumnShift)))
    .join('\n');
}

/** First stack frame in the user's script, e.g. `at transform (transform.js:3:11)`. */
function locationIn(stack: string, scriptName: string): { line: number; column?: number } | undefined {
  const frame = stack.split('\n').find((line) => line.includes(`${scriptName}:`));
  const match = frame === undefined ? null : /:(\d+)(?::(\d+))?\)?\s*$/.exec(frame);
  if (!match) return undefined;
  return match[2] === undefined ? { line: Number(match[1]) } : { line: Number(match[1]), column: Number(match[2]) };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
