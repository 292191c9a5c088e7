/**
 * The bench's own Node client as a LoadDriver: a LoadGenerator (client threads, closed-loop
 * connections) started per fill and per run, so every run begins from fresh connections.
 */
import type { KeyspaceShape } from './keyspace.js';
import type { LoadDriver, RunLength } from './load-driver.js';
import { LoadGenerator, type LoadTarget } from './load-generator.js';

/** Deep enough that the fill is quick, shallow enough to stay under any output limit. */
const FILL_PIPELINE = 128;
const FILL_CONNECTIONS = 8;

export function nodeClientDriver(length: RunLength): LoadDriver {
  return {
    client: 'node',
    async fill(target: LoadTarget, keyspace: KeyspaceShape) {
      const filler = await LoadGenerator.start({
        target,
        connections: FILL_CONNECTIONS,
        threads: length.threads,
        keyspace,
        txWrites: 0,
        pipelineMax: FILL_PIPELINE,
      });
      return filler.fill(FILL_PIPELINE).finally(() => filler.close());
    },
    async run(target, scenario, label) {
      const { load } = scenario;
      const generator = await LoadGenerator.start({
        target,
        connections: load.connections,
        threads: length.threads,
        keyspace: scenario.keyspace,
        txWrites: load.txWrites,
        pipelineMax: load.pipeline,
      });
      try {
        return await generator.run({
          pipeline: load.pipeline,
          getRatio: load.getRatio,
          durationS: length.requests === null ? length.durationS : null,
          unitsTotal: length.requests,
          warmupS: length.warmupS,
          progressLabel: label,
        });
      } finally {
        await generator.close();
      }
    },
  };
}
