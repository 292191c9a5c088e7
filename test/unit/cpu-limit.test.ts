import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { test } from 'node:test';
import { quotaCores, quotaCoresOfCpuMax, usableCores } from '../../src/config/cpu-limit.js';

test('a cgroup v2 cpu.max quota gives its cores, rounded up; "max" gives none', () => {
  assert.equal(quotaCoresOfCpuMax('200000 100000\n'), 2);
  assert.equal(quotaCoresOfCpuMax('150000 100000'), 2);
  assert.equal(quotaCoresOfCpuMax('50000 100000'), 1);
  assert.equal(quotaCoresOfCpuMax('max 100000'), null);
  assert.equal(quotaCoresOfCpuMax(''), null);
});

test('a cgroup v1 quota of -1 is none', () => {
  assert.equal(quotaCores(-1, 100000), null);
  assert.equal(quotaCores(400000, 100000), 4);
  assert.equal(quotaCores(Number.NaN, 100000), null);
});

test('usable cores never exceed the CPUs this process may run on', () => {
  const cores = usableCores();
  assert.ok(cores >= 1 && cores <= availableParallelism(), String(cores));
});
