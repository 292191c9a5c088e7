/**
 * INCRBYFLOAT as Redis computes it: in x87 80-bit long doubles (a 64-bit mantissa), parsed as
 * strtold parses and printed as `%.17Lf` with trailing zeros removed. Doubles gave
 * `0.30000000000000004` for 0.1 + 0.2 where Redis answers `0.3`, so the arithmetic is done
 * here exactly, with BigInts, and rounded to 64 significant bits (half to even) after each
 * step, as the hardware does. Only INCRBYFLOAT uses it: speed is not the point.
 */

/** A finite long double: mantissa × 2^exponent, the mantissa below 2^64 (0 for zero). */
export interface LongDouble {
  negative: boolean;
  mantissa: bigint;
  exponent: number;
}

const mantissaBits = 64n;
/** Largest binary exponent of a long double's value (its range ends near 1.19e4932). */
const valueExponentMax = 16384;
/** Below this a long double is zero (denormals end near 3.6e-4951). */
const valueExponentMin = -16445;

const decimalSyntax = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
/** Exponents past these give inf or 0 whatever the digits (and would make huge BigInts). */
const decimalExponentMax = 5000;

/** Rounds num / den (positive) to 64 significant bits, half to even. */
function round(negative: boolean, num: bigint, den: bigint): LongDouble {
  if (num === 0n) return { negative, mantissa: 0n, exponent: 0 };
  // Scale so the quotient has 66 bits or more: 64 kept, one to round on, the rest sticky.
  const numBits = num.toString(2).length;
  const denBits = den.toString(2).length;
  let shift = 66 - (numBits - denBits);
  let quotient: bigint;
  let remainder: bigint;
  for (;;) {
    const scaledNum = shift >= 0 ? num << BigInt(shift) : num;
    const scaledDen = shift >= 0 ? den : den << BigInt(-shift);
    quotient = scaledNum / scaledDen;
    remainder = scaledNum % scaledDen;
    if (quotient >= 1n << (mantissaBits + 1n)) break;
    shift++;
  }
  const extra = BigInt(quotient.toString(2).length) - mantissaBits;
  let mantissa = quotient >> extra;
  const dropped = quotient & ((1n << extra) - 1n);
  const half = 1n << (extra - 1n);
  const sticky = remainder !== 0n;
  if (dropped > half || (dropped === half && (sticky || (mantissa & 1n) === 1n))) mantissa++;
  let exponent = Number(extra) - shift;
  if (mantissa === 1n << mantissaBits) {
    mantissa >>= 1n;
    exponent++;
  }
  return { negative, mantissa, exponent };
}

const infinity = /^[+-]?inf(inity)?$/i;
/** strtold also reads hexadecimal: `0x10`, `0x1.8p3`. */
const hexSyntax = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;

function parseHex(match: RegExpExecArray): LongDouble | null {
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  if (whole === '' && fraction === '') return null;
  const digits = BigInt(`0x${whole}${fraction}` === '0x' ? '0' : `0x${whole}${fraction}`);
  const exponent = Number(exponentText) - 4 * fraction.length;
  if (digits === 0n) return { negative: sign === '-', mantissa: 0n, exponent: 0 };
  if (Math.abs(exponent) > 4 * decimalExponentMax) return null;
  const value =
    exponent >= 0
      ? round(sign === '-', digits << BigInt(exponent), 1n)
      : round(sign === '-', digits, 1n << BigInt(-exponent));
  if (value.exponent + Number(mantissaBits) < valueExponentMin) return null;
  return inRange(value) ? value : null;
}

/** strtold of the whole text (no spaces, no hex, no nan): a long double, 'infinite' for
 * `inf`, null when it is no number or out of range (strtold's ERANGE, which Redis refuses). */
export function parseLongDouble(text: string): LongDouble | 'infinite' | null {
  if (infinity.test(text)) return 'infinite';
  const hex = hexSyntax.exec(text);
  if (hex !== null) return parseHex(hex);
  const match = decimalSyntax.exec(text);
  if (match === null) return null;
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  if (whole === '' && fraction === '') return null;
  const digits = BigInt(`${whole}${fraction}` || '0');
  const exponent = Number(exponentText) - fraction.length;
  if (digits === 0n) return { negative: sign === '-', mantissa: 0n, exponent: 0 };
  if (exponent > decimalExponentMax || exponent < -decimalExponentMax) return null;
  const value =
    exponent >= 0
      ? round(sign === '-', digits * 10n ** BigInt(exponent), 1n)
      : round(sign === '-', digits, 10n ** BigInt(-exponent));
  if (value.exponent + Number(mantissaBits) < valueExponentMin) return null;
  return inRange(value) ? value : null;
}

function inRange(value: LongDouble): boolean {
  if (value.mantissa === 0n) return true;
  return value.exponent + Number(mantissaBits) <= valueExponentMax;
}

/** a + b rounded to a long double; null when the sum is infinite. */
export function addLongDoubles(a: LongDouble, b: LongDouble): LongDouble | null {
  const exponent = Math.min(a.exponent, b.exponent);
  const signed = (x: LongDouble) =>
    (x.negative ? -x.mantissa : x.mantissa) << BigInt(x.exponent - exponent);
  const sum = signed(a) + signed(b);
  const negative = sum < 0n;
  const magnitude = negative ? -sum : sum;
  const value =
    exponent >= 0
      ? round(negative, magnitude << BigInt(exponent), 1n)
      : round(negative, magnitude, 1n << BigInt(-exponent));
  if (value.mantissa !== 0n && value.exponent + Number(mantissaBits) < valueExponentMin) {
    return { negative, mantissa: 0n, exponent: 0 };
  }
  return inRange(value) ? value : null;
}

/** `%.17Lf` (the exact value rounded to 17 decimals, half to even), trailing zeros and a
 * trailing point removed: how Redis prints INCRBYFLOAT's result. */
export function formatLongDouble(value: LongDouble): string {
  const { mantissa, exponent } = value;
  let scaled: bigint;
  const decimals = 10n ** 17n;
  if (exponent >= 0) {
    scaled = (mantissa << BigInt(exponent)) * decimals;
  } else {
    const den = 1n << BigInt(-exponent);
    const num = mantissa * decimals;
    scaled = num / den;
    const remainder = num % den;
    if (remainder * 2n > den || (remainder * 2n === den && (scaled & 1n) === 1n)) scaled++;
  }
  const text = scaled.toString().padStart(18, '0');
  const whole = text.slice(0, -17);
  const fraction = text.slice(-17).replace(/0+$/, '');
  const sign = value.negative && scaled !== 0n ? '-' : '';
  return fraction === '' ? `${sign}${whole}` : `${sign}${whole}.${fraction}`;
}
