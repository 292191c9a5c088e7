/**
 * The C load generator (../shared/loadgen, outside this repository): built once into the
 * temporary directory when a compiler and its source are there. It costs far less CPU per
 * request than a Node client, so on a shared 2-core machine the server gets the CPU.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/bench/memory/ -> the repository's parent (where ../shared lives). */
const defaultSource = fileURLToPath(
  new URL('../../../../shared/loadgen/loadgen.c', import.meta.url),
);

/** The loadgen binary: `given` (or HAUS_LOADGEN) if set, else built from the shared source;
 * null if neither. */
export function findLoadgen(flag: string | null): string | null {
  const given = flag ?? process.env.HAUS_LOADGEN ?? null;
  if (given !== null) return existsSync(given) ? given : null;
  if (!existsSync(defaultSource)) return null;
  const binary = join(tmpdir(), 'haus-memory-bench-loadgen');
  if (!existsSync(binary)) {
    try {
      execFileSync('cc', ['-O2', '-o', binary, defaultSource, '-lpthread'], { stdio: 'ignore' });
    } catch {
      return null;
    }
  }
  return binary;
}

/** Runs the load generator; resolves with its one-line report. */
export function runLoadgen(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { timeout: 600_000 }, (error, stdout) => {
      // Exit code 3 means errors were counted: the line says how many.
      if (error !== null && (error as { code?: number }).code !== 3) reject(error);
      else resolve(stdout.trim());
    });
  });
}

/** A field (`ops/s`, `errors`, ...) of the load generator's report line. */
export function loadgenField(line: string, name: string): number {
  const match = new RegExp(`(?:^| )${name.replace('/', '\\/')}=([0-9.]+)`).exec(line);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}
