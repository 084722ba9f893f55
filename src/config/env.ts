// Reading environment variables the one way spike does: each parser names
// the variable, the value and what is allowed when the value is bad, and
// nothing is silently clamped. The server's config and the bench's settings
// both read through these.

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(variable: string, value: string, allowed: string) {
    super(`${variable}=${JSON.stringify(value)} is not valid: ${allowed}`);
    this.name = 'ConfigError';
  }
}

function raw(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** An integer in [min, max]; `_` may separate digits (1_000_000). */
export function integer(env: Env, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const digits = value.trim().replace(/(\d)_(?=\d)/g, '$1');
  const allowed = `expected an integer from ${min} to ${max}`;
  if (!/^\d+$/.test(digits)) throw new ConfigError(name, value, allowed);
  const number = Number(digits);
  if (number < min || number > max) throw new ConfigError(name, value, allowed);
  return number;
}

/** A decimal number in [min, max] (digits, optionally a fraction: 0.5, 30, 0.0001). */
export function decimal(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  const allowed = `expected a number from ${min} to ${max} (a fraction such as 0.5 is allowed)`;
  if (!/^\d+(?:\.\d+)?$/.test(value.trim())) throw new ConfigError(name, value, allowed);
  const number = Number(value.trim());
  if (number < min || number > max) throw new ConfigError(name, value, allowed);
  return number;
}

export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new ConfigError(name, value, `expected one of ${allowed.join(', ')}`);
  return value as T;
}

export function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, value, 'expected true or false');
}

/** A string matching `pattern`, described by `allowed` when it does not. */
export function matching(env: Env, name: string, pattern: RegExp, allowed: string, fallback: string): string {
  const value = raw(env, name);
  if (value === undefined) return fallback;
  if (!pattern.test(value)) throw new ConfigError(name, value, allowed);
  return value;
}

/** A free-form string (a path, a host), or the fallback when unset or empty. */
export function text(env: Env, name: string, fallback: string): string {
  return raw(env, name) ?? fallback;
}

/** Runs `read` over an env that records which variable names it looked at: for the README check. */
export function namesRead(read: (env: Env) => unknown, env: Env = {}): Set<string> {
  const names = new Set<string>();
  const recording = new Proxy(env, {
    get(target, name) {
      if (typeof name === 'string') names.add(name);
      return target[name as string];
    },
  });
  read(recording);
  return names;
}
