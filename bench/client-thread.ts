/**
 * A client thread (worker_threads entry): opens its share of the connections, then runs the
 * phases the load generator asks for (fill, run, measure, stop) and reports its counts. Several
 * of these run side by side so that the client, not only the server, can use every core; they
 * share nothing but a progress array that each writes only its own slots of.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type {
  ClientThreadConfig,
  ClientToMainMessage,
  FillRequest,
  MainToClientMessage,
  RunRequest,
  ThreadResult,
} from './client-messages.js';
import { Keyspace } from './keyspace.js';
import { encodeHistogram } from './latency-histogram.js';
import { LoadConnection } from './load-connection.js';
import { hausCodec } from './protocols/haus.js';
import { respCodec } from './protocols/resp.js';
import { ThreadStats } from './thread-stats.js';
import { fillWorkload, mixWorkload, transactionWorkload, type Workload } from './workloads.js';

const config = workerData as ClientThreadConfig;
const port = parentPort;
if (port === null) throw new Error('client-thread.js must run as a worker thread');

const codec = config.protocol === 'haus' ? hausCodec : respCodec;
const keyspace = new Keyspace(config.keyspace);
const progress = new Float64Array(config.progress);
const stats = new ThreadStats(progress, config.threadIndex * 2);
let connections: LoadConnection[] = [];

function post(message: ClientToMainMessage): void {
  port?.postMessage(message);
}

function snapshot(): ThreadResult {
  return {
    ops: stats.ops,
    transactions: stats.transactions,
    errors: stats.errors,
    errorSamples: [...stats.errorSamples],
    histogram: encodeHistogram(stats.latencies()),
  };
}

async function openAll(): Promise<void> {
  const options = {
    host: config.host,
    port: config.port,
    codec,
    keyspace,
    stats,
    pipelineMax: config.pipelineMax,
    password: config.password,
  };
  connections = await Promise.all(
    Array.from({ length: config.connections }, () => LoadConnection.open(options)),
  );
}

async function fill(request: FillRequest): Promise<void> {
  stats.reset();
  const count = connections.length;
  await Promise.all(
    connections.map((connection, i) => {
      const workload = fillWorkload({
        codec,
        keyspace,
        first: request.first + i * request.stride,
        stride: request.stride * count,
        end: request.end,
      });
      return connection.run(workload, request.pipeline);
    }),
  );
  post({ type: 'filled', result: snapshot() });
}

async function run(request: RunRequest): Promise<void> {
  stats.reset();
  stats.recording = request.recordFromStart;
  const count = connections.length;
  await Promise.all(
    connections.map((connection, i) => {
      const quota =
        request.unitsQuota === null
          ? Number.POSITIVE_INFINITY
          : Math.floor(request.unitsQuota / count) + (i < request.unitsQuota % count ? 1 : 0);
      return connection.run(workloadFor(request, quota), request.pipeline);
    }),
  );
  post({ type: 'result', result: snapshot() });
}

function workloadFor(request: RunRequest, unitsQuota: number): Workload {
  if (config.txWrites > 0) {
    return transactionWorkload({ codec, keyspace, writes: config.txWrites, unitsQuota });
  }
  return mixWorkload({ codec, keyspace, getRatio: request.getRatio, unitsQuota });
}

port.on('message', (message: MainToClientMessage) => {
  const fail = (error: unknown) =>
    post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  switch (message.type) {
    case 'fill':
      fill(message).catch(fail);
      break;
    case 'run':
      run(message).catch(fail);
      break;
    case 'measure':
      stats.reset();
      break;
    case 'stop':
      stats.recording = false;
      for (const connection of connections) connection.stop();
      break;
    case 'close':
      for (const connection of connections) connection.close();
      port.close();
      break;
  }
});

openAll().then(
  () => post({ type: 'ready' }),
  (error: unknown) =>
    post({ type: 'failed', message: `cannot connect to ${config.host}:${config.port}: ${error}` }),
);
