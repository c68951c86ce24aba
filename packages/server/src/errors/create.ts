import { ERRORS, type BuiltError, type ErrorCode } from './catalogue.js';
import { VerdictError } from './verdict-error.js';

type BuildArguments<Code extends ErrorCode> = Parameters<(typeof ERRORS)[Code]['build']>;

function fromCatalogue(code: ErrorCode, args: unknown[], cause: unknown): VerdictError {
  const built = (ERRORS[code].build as (...args: unknown[]) => BuiltError)(...args);
  return new VerdictError(built.message, code, built.details ?? {}, { cause, headers: built.headers });
}

/** The catalogue's error for `code`, its message built from `args` (errors/catalogue.ts). */
export function createError<Code extends ErrorCode>(code: Code, ...args: BuildArguments<Code>): VerdictError {
  return fromCatalogue(code, args, undefined);
}

/** The catalogue's error for `code` answering for `cause`, which it keeps as its standard `cause`. */
export function convertError<Code extends ErrorCode>(cause: unknown, code: Code, ...args: BuildArguments<Code>): VerdictError {
  return fromCatalogue(code, args, cause);
}
