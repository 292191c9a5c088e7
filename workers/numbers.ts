/**
 * Redis's rules for numbers in arguments and values: 64-bit integers written exactly as
 * Redis's string2ll accepts them (no sign but `-`, no leading zeros, no spaces), and floats as
 * strtold accepts them, formatted back without exponent or trailing zeros.
 */

const int64Min = -(2n ** 63n);
const int64Max = 2n ** 63n - 1n;
const canonicalInteger = /^(0|-?[1-9][0-9]{0,18})$/;
/** Integers of up to 15 digits are exact as doubles: no BigInt needed. */
const safeDigitsMax = 15;

/** The integer `text` spells, or null when Redis would refuse it. */
export function parseInteger(text: string): number | bigint | null {
  if (!canonicalInteger.test(text)) return null;
  const digits = text.charCodeAt(0) === 0x2d ? text.length - 1 : text.length;
  if (digits <= safeDigitsMax) return Number(text);
  const value = BigInt(text);
  if (value < int64Min || value > int64Max) return null;
  return value;
}

/** `value + increment`, or null when it leaves the 64-bit range. */
export function addIntegers(
  value: number | bigint,
  increment: number | bigint,
): number | bigint | null {
  if (typeof value === 'number' && typeof increment === 'number') {
    const sum = value + increment;
    if (Number.isSafeInteger(sum)) return sum;
  }
  const sum = BigInt(value) + BigInt(increment);
  if (sum < int64Min || sum > int64Max) return null;
  return sum;
}

export function isInt64Min(value: number | bigint): boolean {
  return typeof value === 'bigint' && value === int64Min;
}

/** Like strtold on the whole string: optional sign, digits, point, exponent, or inf; no
 * spaces, no hex, no nan. */
const floatSyntax = /^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity)$/i;

/** The float `text` spells, or null (not a number, or NaN). */
export function parseFloatStrict(text: string): number | null {
  if (!floatSyntax.test(text)) return null;
  const value = Number(text.replace(/inf(inity)?$/i, 'Infinity'));
  return Number.isNaN(value) ? null : value;
}

/** A float as INCRBYFLOAT replies it: decimal, no exponent, no trailing zeros (Redis formats
 * with %.17Lf and trims). */
export function formatFloat(value: number): string {
  const shortest = String(value);
  if (!shortest.includes('e')) return shortest;
  if (Math.abs(value) >= 1) return BigInt(value).toString();
  const fixed = value.toFixed(17).replace(/0+$/, '');
  return fixed.endsWith('.') ? fixed.slice(0, -1) : fixed;
}
