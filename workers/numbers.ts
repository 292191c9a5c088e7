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
