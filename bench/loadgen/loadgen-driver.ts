/**
 * The C load generator (../shared/loadgen) as a LoadDriver: each fill and run is one loadgen
 * process, spawned from the path given with `--loadgen` (or $HAUS_LOADGEN) and never copied
 * into this repository. The server's CPU is read from /proc just before the process starts and
 * just after it exits, so it includes connecting and the drain after the deadline, both tiny
 * beside a run. loadgen has no warm-up, so a warm-up is a run of its own, thrown away.
 */
import { spawn } from 'node:child_process';
import type { KeyspaceShape } from '../keyspace.js';
import type { LoadDriver, RunLength } from '../load-driver.js';
import type { FillResult, LoadTarget, RunResult } from '../load-generator.js';
import { cpuPerOp, sampleCpu } from '../proc-stats.js';
import type { Scenario } from '../scenarios.js';
import { preloadArgs, runArgs } from './loadgen-args.js';
import { type LoadgenSummary, parseLoadgenSummary } from './loadgen-output.js';

/** What is kept of loadgen's output: its summary is one line, its complaints a few. */
const STDOUT_KEPT_CHARS = 16 * 1024;
const STDERR_KEPT_CHARS = 8 * 1024;
const ERROR_SAMPLES_MAX = 5;
/** loadgen's exit codes: 0 clean, 3 wrong replies seen (the summary still comes). */
const EXIT_ERRORS_SEEN = 3;

interface Exited {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function loadgenDriver(path: string, length: RunLength): LoadDriver {
  return {
    client: 'loadgen',
    async fill(target: LoadTarget, keyspace: KeyspaceShape): Promise<FillResult> {
      const started = performance.now();
      const exited = await runLoadgen(path, preloadArgs(loadgenTarget(target), keyspace));
      const samples = badReplies(exited.stderr);
      const failed = exited.code !== 0;
      if (failed && exited.code !== EXIT_ERRORS_SEEN) throw failure(path, exited);
      return {
        keys: keyspace.keys,
        seconds: (performance.now() - started) / 1000,
        errors: failed ? Math.max(1, samples.length) : 0,
        errorSamples: samples,
      };
    },
    async run(target: LoadTarget, scenario: Scenario, label: string): Promise<RunResult> {
      const args = (runLength: { durationS: number } | { requests: number }) =>
        runArgs({
          target: loadgenTarget(target),
          keyspace: scenario.keyspace,
          load: scenario.load,
          threads: length.threads,
          length: runLength,
        });
      if (length.requests === null && length.warmupS > 0) {
        const warmup = await runLoadgen(path, args({ durationS: length.warmupS }));
        if (warmup.code !== 0 && warmup.code !== EXIT_ERRORS_SEEN) throw failure(path, warmup);
      }
      // -n counts commands in loadgen; the bench's -n counts units (a transaction is K+2).
      const commandsPerUnit = scenario.load.txWrites > 0 ? scenario.load.txWrites + 2 : 1;
      const runLength =
        length.requests === null
          ? { durationS: length.durationS }
          : { requests: length.requests * commandsPerUnit };
      const before = target.pid === null ? null : sampleCpu(target.pid);
      const exited = await runLoadgen(path, args(runLength));
      const after = target.pid === null ? null : sampleCpu(target.pid);
      if (exited.code !== 0 && exited.code !== EXIT_ERRORS_SEEN) throw failure(path, exited);
      const summary = parseLoadgenSummary(exited.stdout);
      process.stderr.write(
        `  ${label}  loadgen ${summary.elapsedS.toFixed(1)}s  ` +
          `${Math.round(summary.opsPerSec).toLocaleString('en-US')} ops/s` +
          `${summary.errors + summary.misses > 0 ? `  errors ${summary.errors + summary.misses}` : ''}\n`,
      );
      return toRunResult(summary, badReplies(exited.stderr), cpuPerOp(before, after, summary.ops));
    },
  };
}

function toRunResult(
  summary: LoadgenSummary,
  samples: string[],
  cpuUs: RunResult['cpuUs'],
): RunResult {
  const { ops, elapsedS } = summary;
  const missNote = summary.misses > 0 ? [`${summary.misses} GETs found no value`] : [];
  return {
    ops,
    transactions: summary.txPerSec === null ? null : Math.round(summary.txPerSec * elapsedS),
    // After the preload every GET must hit, so a miss is a wrong reply, as for the Node client.
    errors: summary.errors + summary.misses,
    errorSamples: [...samples, ...missNote].slice(0, ERROR_SAMPLES_MAX),
    seconds: elapsedS,
    opsPerSec: summary.opsPerSec,
    txPerSec: summary.txPerSec,
    latencyUs: {
      p50: summary.p50Us,
      p99: summary.p99Us,
      p999: summary.p999Us,
      max: summary.maxUs,
      mean: Number.NaN, // loadgen does not print one
    },
    cpuUs,
    clientCpuUs: ops > 0 ? (summary.cpuPercent / 100) * elapsedS * (1_000_000 / ops) : null,
  };
}

function loadgenTarget(target: LoadTarget) {
  if (target.host !== '127.0.0.1' && target.host !== 'localhost') {
    throw new Error(`loadgen connects to 127.0.0.1 only, not ${target.host}`);
  }
  if (target.password != null) throw new Error('loadgen cannot AUTH: drop --password');
  return { port: target.port, protocol: target.protocol };
}

function runLoadgen(path: string, args: string[]): Promise<Exited> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (stdout.length < STDOUT_KEPT_CHARS) stdout += text;
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEPT_CHARS);
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run loadgen ${path}: ${error.message}`)),
    );
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** loadgen prints the first few wrong replies as `bad response (what): '...'`. */
function badReplies(stderr: string): string[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('bad response') || line.startsWith('fatal'))
    .slice(0, ERROR_SAMPLES_MAX);
}

function failure(path: string, exited: Exited): Error {
  return new Error(
    `loadgen ${path} exited with code ${exited.code}: ${exited.stderr.trim() || exited.stdout.trim()}`,
  );
}
