/**
 * The load generator's main-thread side: it starts the client threads, splits connections
 * among them, drives the phases (fill, warm-up, measured window), samples the server's CPU at
 * the edges of the measured window, prints progress once a second, and merges what the
 * threads counted into one result. It knows nothing of which server it drives beyond a host,
 * a port, a protocol and (for CPU figures) a pid.
 */
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type {
  ClientThreadConfig,
  ClientToMainMessage,
  MainToClientMessage,
  ThreadResult,
} from './client-messages.js';
import { Keyspace, type KeyspaceShape } from './keyspace.js';
import { type LatencySummaryUs, mergeHistograms, summarizeLatency } from './latency-histogram.js';
import { type CpuPerOp, cpuPerOp, sampleCpu } from './proc-stats.js';
import type { ProtocolName } from './protocols/codec.js';

export interface LoadTarget {
  host: string;
  port: number;
  protocol: ProtocolName;
  /** The server's pid, for CPU per op; null when it is not ours to read. */
  pid: number | null;
  /** Sent with AUTH on every connection first; null: none. */
  password?: string | null;
}

export interface GeneratorOptions {
  target: LoadTarget;
  connections: number;
  /** Client threads; connections are split among them as evenly as they go. */
  threads: number;
  keyspace: KeyspaceShape;
  /** PUTs per transaction (`--tx K`); 0 = single GETs and PUTs. */
  txWrites: number;
  /** Deepest pipeline any phase asks for, in commands in flight per connection. */
  pipelineMax: number;
}

export interface RunOptions {
  /** Commands in flight per connection (a transaction's commands count one each). */
  pipeline: number;
  getRatio: number;
  /** Exactly one of durationS and unitsTotal is set. */
  durationS: number | null;
  /** Single ops, or whole transactions with txWrites > 0, to run instead of a duration. */
  unitsTotal: number | null;
  /** Seconds of load before the measured window (duration runs only). */
  warmupS: number;
  /** Prefix of the progress line on stderr; null prints nothing. */
  progressLabel: string | null;
}

export interface RunResult {
  /** Replies in the measured window: every command is one op, inside transactions too. */
  ops: number;
  /** Transactions committed in the window; null when the run had none (no --tx). */
  transactions: number | null;
  errors: number;
  errorSamples: string[];
  seconds: number;
  opsPerSec: number;
  /** Committed transactions per second; null without --tx. */
  txPerSec: number | null;
  /** Per op (command): from its write to its reply. */
  latencyUs: LatencySummaryUs;
  /** Server CPU per op, null when the server's pid is unknown or unreadable. */
  cpuUs: CpuPerOp | null;
  /** This bench process's CPU per op (all client threads): shows when the client is the limit. */
  clientCpuUs: number | null;
}

export interface FillResult {
  keys: number;
  seconds: number;
  errors: number;
  errorSamples: string[];
}

type Waiter = (message: ClientToMainMessage) => boolean;

export class LoadGenerator {
  private readonly waiters = new Set<Waiter>();
  private failure: string | null = null;

  private constructor(
    private readonly options: GeneratorOptions,
    private readonly workers: Worker[],
    private readonly progress: Float64Array,
  ) {
    for (const worker of workers) {
      worker.on('message', (message: ClientToMainMessage) => this.deliver(message));
      worker.on('error', (error) => this.deliver({ type: 'failed', message: error.message }));
    }
  }

  /** Starts the client threads and waits until every connection is open. */
  static async start(options: GeneratorOptions): Promise<LoadGenerator> {
    new Keyspace(options.keyspace); // throws a readable RangeError on a bad shape
    const threads = Math.max(1, Math.min(options.threads, options.connections));
    const shared = new SharedArrayBuffer(threads * 2 * Float64Array.BYTES_PER_ELEMENT);
    const workers = Array.from({ length: threads }, (_, threadIndex) => {
      const config: ClientThreadConfig = {
        threadIndex,
        host: options.target.host,
        port: options.target.port,
        protocol: options.target.protocol,
        password: options.target.password ?? null,
        connections: share(options.connections, threads, threadIndex),
        keyspace: options.keyspace,
        pipelineMax: options.pipelineMax,
        txWrites: options.txWrites,
        progress: shared,
      };
      return new Worker(new URL('./client-thread.js', import.meta.url), { workerData: config });
    });
    const generator = new LoadGenerator(options, workers, new Float64Array(shared));
    try {
      await generator.collect('ready');
    } catch (error) {
      await generator.close();
      throw error;
    }
    return generator;
  }

  /** Writes every key once, pipelined, so that the measured GETs hit. */
  async fill(pipeline: number): Promise<FillResult> {
    const started = performance.now();
    const stride = this.workers.length;
    this.broadcast((threadIndex) => ({
      type: 'fill',
      first: threadIndex,
      stride,
      end: this.options.keyspace.keys,
      pipeline,
    }));
    const results = await this.collect('filled');
    return {
      keys: this.options.keyspace.keys,
      seconds: (performance.now() - started) / 1000,
      errors: sum(results.map((r) => r.errors)),
      errorSamples: results.flatMap((r) => r.errorSamples),
    };
  }

  async run(options: RunOptions): Promise<RunResult> {
    const byCount = options.unitsTotal !== null;
    const threads = this.workers.length;
    const timed = byCount ? 0 : 1;
    this.broadcast((threadIndex) => ({
      type: 'run',
      pipeline: options.pipeline,
      getRatio: options.getRatio,
      unitsQuota: byCount ? share(options.unitsTotal ?? 0, threads, threadIndex) : null,
      recordFromStart: byCount || options.warmupS <= 0,
    }));
    const stopProgress = this.printProgress(options.progressLabel);
    const results = this.collect('result');
    try {
      if (!byCount && options.warmupS > 0) {
        await sleep(options.warmupS * 1000);
        this.broadcast(() => ({ type: 'measure' }));
      }
      const pid = this.options.target.pid;
      const cpuBefore = pid === null ? null : sampleCpu(pid);
      const clientBefore = sampleCpu(process.pid);
      const started = performance.now();
      if (timed) {
        await Promise.race([sleep((options.durationS ?? 0) * 1000), results]);
        this.broadcast(() => ({ type: 'stop' }));
      } else {
        await results;
      }
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = pid === null ? null : sampleCpu(pid);
      const clientAfter = sampleCpu(process.pid);
      const result = summarize(await results, seconds, cpuBefore, cpuAfter);
      if (this.options.txWrites === 0) {
        result.transactions = null;
        result.txPerSec = null;
      }
      result.clientCpuUs = cpuPerOp(clientBefore, clientAfter, result.ops)?.totalUs ?? null;
      return result;
    } finally {
      stopProgress();
    }
  }

  async close(): Promise<void> {
    this.broadcast(() => ({ type: 'close' }));
    await Promise.all(
      this.workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void worker.terminate(), 2000);
            worker.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
          }),
      ),
    );
  }

  private broadcast(message: (threadIndex: number) => MainToClientMessage): void {
    for (const [threadIndex, worker] of this.workers.entries()) {
      worker.postMessage(message(threadIndex));
    }
  }

  /** Waits for one message of `type` from every thread; a thread failure rejects at once. */
  private collect(type: 'ready' | 'filled' | 'result'): Promise<ThreadResult[]> {
    if (this.failure !== null) return Promise.reject(new Error(this.failure));
    return new Promise((resolve, reject) => {
      const results: ThreadResult[] = [];
      let replies = 0;
      const waiter: Waiter = (message) => {
        if (message.type === 'failed') {
          reject(new Error(`client thread failed: ${message.message}`));
          return true;
        }
        if (message.type !== type) return false;
        if (message.type === 'filled' || message.type === 'result') results.push(message.result);
        replies += 1;
        if (replies < this.workers.length) return false;
        resolve(results);
        return true;
      };
      this.waiters.add(waiter);
    });
  }

  private deliver(message: ClientToMainMessage): void {
    if (message.type === 'failed') this.failure = message.message;
    for (const waiter of [...this.waiters]) {
      if (waiter(message)) this.waiters.delete(waiter);
    }
  }

  /** Once a second on stderr: ops/s over the last second and errors so far. */
  private printProgress(label: string | null): () => void {
    if (label === null) return () => {};
    let previousOps = this.totalProgress(0);
    let seconds = 0;
    const timer = setInterval(() => {
      seconds += 1;
      const ops = this.totalProgress(0);
      const errors = this.totalProgress(1);
      process.stderr.write(
        `  ${label}  ${seconds}s  ${Math.round(ops - previousOps).toLocaleString('en-US')} ops/s` +
          `${errors > 0 ? `  errors ${errors}` : ''}\n`,
      );
      previousOps = ops;
    }, 1000);
    return () => clearInterval(timer);
  }

  private totalProgress(offset: number): number {
    let total = 0;
    for (let i = offset; i < this.progress.length; i += 2) total += this.progress[i] ?? 0;
    return total;
  }
}

/** Thread `index`'s part of `total` items split `parts` ways, the remainder to the first. */
function share(total: number, parts: number, index: number): number {
  return Math.floor(total / parts) + (index < total % parts ? 1 : 0);
}

function summarize(
  results: ThreadResult[],
  seconds: number,
  cpuBefore: ReturnType<typeof sampleCpu>,
  cpuAfter: ReturnType<typeof sampleCpu>,
): RunResult {
  const ops = sum(results.map((r) => r.ops));
  const transactions = sum(results.map((r) => r.transactions));
  return {
    ops,
    transactions,
    errors: sum(results.map((r) => r.errors)),
    errorSamples: results.flatMap((r) => r.errorSamples).slice(0, 5),
    seconds,
    opsPerSec: seconds > 0 ? ops / seconds : 0,
    txPerSec: seconds > 0 ? transactions / seconds : 0,
    latencyUs: summarizeLatency(mergeHistograms(results.map((r) => r.histogram))),
    cpuUs: cpuPerOp(cpuBefore, cpuAfter, ops),
    clientCpuUs: null,
  };
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Client threads by default: half the cores, since the server needs the other half. */
export function defaultClientThreads(): number {
  return Math.max(1, Math.floor(availableParallelism() / 2));
}
