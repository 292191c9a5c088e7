/**
 * The server's password (SPEC.md section 10), checked in constant time: both sides are hashed
 * first, so the comparison takes the same time whatever the length or content of a guess, and
 * the password itself is never kept in a form that could be logged by accident.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

function digestOf(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

export class PasswordCheck {
  private digest: Buffer | null = null;

  /** `password`: '' when none is required. */
  constructor(password: string) {
    this.set(password);
  }

  /** CONFIG SET requirepass: clients already in stay in, as in Redis. */
  set(password: string): void {
    this.digest = password === '' ? null : digestOf(password);
  }

  /** True when clients must authenticate. */
  get required(): boolean {
    return this.digest !== null;
  }

  /** True when `guess` is the password (false when none is set). */
  matches(guess: string | Buffer): boolean {
    if (this.digest === null) return false;
    return timingSafeEqual(this.digest, digestOf(guess));
  }
}
