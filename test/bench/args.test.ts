/**
 * Where the bench writes its results when no --out is given: each suite that has a report of
 * its own keeps it in its own folder, so running one never replaces another's latest.md.
 */
import assert from 'node:assert/strict';
import { sep } from 'node:path';
import { test } from 'node:test';
import { parseBenchArgs } from '../../bench/args.js';

const resultsDir = `${sep}bench${sep}results${sep}`;

test('the quick suite writes to bench/results, --redis-benchmark to its own folder', () => {
  assert.ok(parseBenchArgs([]).outDir.endsWith(resultsDir));
  assert.ok(
    parseBenchArgs(['--redis-benchmark']).outDir.endsWith(`${resultsDir}redis-benchmark${sep}`),
  );
  assert.equal(parseBenchArgs(['--redis-benchmark', '--out', '/tmp/x']).outDir, '/tmp/x');
});
