/**
 * Bounds that no operator needs to tune but that keep every queue finite. Configurable limits
 * live in options.ts; these are the ones nobody configures.
 */

/** Commands of one client awaiting their reply before the server stops reading that client.
 * Deep enough for any sane pipeline (redis-benchmark uses 16 to 128); with --max-clients it
 * bounds the work queued from all clients. */
export const clientRepliesPendingMax = 1024;

/** Batches sent to one shard and not yet answered. Two lets the main thread fill the next batch
 * while the shard works on one; more only adds latency (bench/run.ts, P=16). */
export const shardBatchesInFlightMax = 2;

/** Bytes the GETs of one shard batch may reply, at their bound (the size class of the shard's
 * largest value): a GET that would pass it starts the next batch. Clients' output limits are
 * per client; this keeps many clients GETting one big value at once from making a batch whose
 * replies no buffer can hold (4 GiB). Anything up to it leaves P=16 traffic in one batch. */
export const batchReplyBytesMax = 64 * 1024 * 1024;

/** Key and value bytes one shard batch may carry: an operation that would pass it starts the
 * next batch (an operation bigger than this goes in a batch of its own). Rows hold byte offsets
 * as int32, and while a shard is busy its next batch keeps growing: without this bound ~130
 * clients each sending a 16 MiB key could pass 2 GiB in one batch. */
export const batchRequestBytesMax = 64 * 1024 * 1024;

/** Young generation of each shard thread's V8 heap, in MiB. With V8's default a shard's young
 * generation grew by ~22 MiB more while 1M keys were written: resident memory per key at 1M
 * keys was 218 bytes with the default, 187 with 16, 173 with 8, 146 with 4. Smaller ones make
 * big values slow, each collection copying the values written since the last one: P=16 with
 * 64 KiB values lost 31 % at 4 and 11 % at 8, and nothing beyond noise at 16 (alternating runs
 * of bench/run.ts --single; neither P=16 with small values nor transactions moved). */
export const shardYoungGenerationMbMax = 16;

/** Longest a row that rides with a shard's next batch (a commit's txForget) waits when no
 * batch goes: until it arrives the shard keeps the commit's undo record, previous values
 * included. */
export const riderRowWaitMsMax = 20;

/** Bytes of unknown command word echoed back in an error message. */
export const echoedWordCharsMax = 40;

/** How long /healthz and /metrics wait for every shard to answer a stats request: a shard
 * slower than this is as good as stuck (it answers a P=16 batch in well under 1 ms), so
 * /healthz says 503 and /metrics leaves the per-shard figures out. */
export const metricsShardAnswerMsMax = 1000;

/** Connections the --metrics-port holds at once: Prometheus keeps one per target. Past it a
 * new connection is closed at once. */
export const metricsConnectionsMax = 16;

/** A request on --metrics-port must arrive whole within this, and an idle keep-alive connection
 * closes after it (Prometheus's default scrape timeout is 10 s). */
export const metricsRequestMsMax = 10_000;

/** Bytes of an over-long line a connection drops between two young-generation collections of
 * the main thread (memory-guard.ts, collectYoungGarbage): what a client sending such a line can
 * leave as garbage besides the line limit. */
export const droppedLineBytesPerCollection = 8 * 1024 * 1024;
