import { isIP } from 'node:net';
import type { RateLimit } from '../services/rate-limit.js';

/**
 * The kinds of value a variable takes. Each says what it accepts (for the refusal and the docs)
 * and parses a trimmed, non-empty text to its value, or to undefined when it cannot be used.
 */
export interface ValueKind<T> {
  accepted: string;
  parse(text: string): T | undefined;
  /** How a refused value is shown: a URL's password is masked. */
  shown?(text: string): string;
}

/** A value a variable cannot take: the process refuses to start, and the message says what to fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly value: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

function wholeNumber(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function integer(min: number, max?: number): ValueKind<number> {
  return {
    accepted: max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`,
    parse(text) {
      const value = wholeNumber(text);
      return value !== undefined && value >= min && (max === undefined || value <= max) ? value : undefined;
    },
  };
}

export const positiveNumber: ValueKind<number> = {
  accepted: 'a positive number',
  parse(text) {
    const value = Number(text);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  },
};

/** One of `values`, in any letter case. */
export function oneOf<T extends string>(values: readonly T[]): ValueKind<T> {
  return {
    accepted: `one of ${values.join(', ')}`,
    parse(text) {
      const value = text.toLowerCase() as T;
      return values.includes(value) ? value : undefined;
    },
  };
}

export const text: ValueKind<string> = { accepted: 'any text', parse: (value) => value };

export const onOff: ValueKind<boolean> = {
  accepted: '1 or true (on), 0 or false (off)',
  parse(text) {
    const value = text.toLowerCase();
    if (value === '1' || value === 'true') return true;
    if (value === '0' || value === 'false') return false;
    return undefined;
  },
};

/** A URL whose scheme is one of `schemes` (`http`, `postgres`, …), with an example. */
export function url(schemes: readonly string[], example: string): ValueKind<string> {
  return {
    accepted: `a URL starting with ${schemes.map((scheme) => `${scheme}://`).join(' or ')}, such as ${example}`,
    parse(text) {
      const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text)?.[1]?.toLowerCase();
      if (scheme === undefined || !schemes.includes(scheme)) return undefined;
      try {
        new URL(text);
        return text;
      } catch {
        return undefined;
      }
    },
    shown: (text) => text.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@'),
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `20/1m`, `2000/1s`, `5/500ms`; `off` (or `0`) is no limit (null). */
export const rateLimit: ValueKind<RateLimit | null> = {
  accepted: 'a count per window such as 20/1m (the window in ms, s, m or h), or off',
  parse(text) {
    const value = text.toLowerCase();
    if (value === 'off' || value === '0') return null;
    const match = /^(\d+)\s*\/\s*(\d+)?\s*(ms|s|m|h)$/.exec(value);
    if (!match) return undefined;
    const count = Number(match[1]);
    const windowMs = Number(match[2] ?? 1) * UNIT_MS[match[3]!]!;
    return Number.isSafeInteger(count) && count >= 1 && windowMs >= 1 ? { count, windowMs } : undefined;
  },
};

/** proxy-addr's names for address ranges, which Fastify's trustProxy accepts beside addresses. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrRange(entry: string): boolean {
  if (NAMED_RANGES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = wholeNumber(prefix);
  return bits !== undefined && bits >= 0 && bits <= (family === 4 ? 32 : 128);
}

/** Fastify's `trustProxy`: `true`, `false`, a hop count, or addresses and CIDR ranges. */
export const trustProxy: ValueKind<boolean | number | string> = {
  accepted: 'true, false, a hop count such as 1, or addresses and CIDR ranges such as 10.0.0.0/8,127.0.0.1',
  parse(text) {
    const value = text.toLowerCase();
    if (value === 'true') return true;
    if (value === 'false') return false;
    if (/^\d+$/.test(value)) return wholeNumber(value);
    const entries = text.split(',').map((entry) => entry.trim());
    return entries.every(isAddressOrRange) ? entries.join(',') : undefined;
  },
};
