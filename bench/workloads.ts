/**
 * What a connection sends next. A workload appends the commands of one op to a CommandSink,
 * naming for each the reply it must get; the connection keeps the pipeline full by asking for
 * ops until enough are in flight. Each connection has its own workload object, so quotas need
 * no coordination between connections.
 */
import type { Keyspace } from './keyspace.js';
import type { ProtocolCodec } from './protocols/codec.js';
import { ReplyKind } from './protocols/reply.js';

export interface CommandSink {
  /**
   * `expected`: the reply kind the command must get. `keyIndex`: what that reply is checked
   * against beyond its kind: for a Value, the key whose value it must be; for an ArrayOk (EXEC),
   * the number of OKs it must hold; -1 for nothing more. `endsOp`: the reply to this command
   * completes the op (and its latency is recorded).
   */
  add(command: string, expected: ReplyKind, keyIndex: number, endsOp: boolean): void;
}

export interface Workload {
  /** Appends the commands of the next op; false once this connection has nothing more. */
  nextOp(sink: CommandSink): boolean;
}

export interface MixOptions {
  codec: ProtocolCodec;
  keyspace: Keyspace;
  /** Share of ops that are GETs, 0..1; the rest are PUTs. */
  getRatio: number;
  /** Ops this connection may start; Infinity when a duration ends the run. */
  opsQuota: number;
}

/** Single GETs and PUTs on uniformly random keys. A GET must return its key's value. */
export function mixWorkload(options: MixOptions): Workload {
  const { codec, keyspace, getRatio } = options;
  let left = options.opsQuota;
  return {
    nextOp(sink) {
      if (left <= 0) return false;
      left -= 1;
      const index = keyspace.randomIndex();
      const key = keyspace.key(index);
      if (Math.random() < getRatio) {
        sink.add(codec.get(key), ReplyKind.Value, index, true);
      } else {
        sink.add(codec.put(key, keyspace.value(index)), ReplyKind.Ok, index, true);
      }
      return true;
    },
  };
}

export interface TransactionOptions {
  codec: ProtocolCodec;
  keyspace: Keyspace;
  /** PUTs per transaction (the K of `--tx K`). */
  writes: number;
  opsQuota: number;
}

/** One op = START, K PUTs on random keys, COMMIT (Redis: MULTI, K SETs, EXEC). */
export function transactionWorkload(options: TransactionOptions): Workload {
  const { codec, keyspace, writes } = options;
  let left = options.opsQuota;
  return {
    nextOp(sink) {
      if (left <= 0) return false;
      left -= 1;
      sink.add(codec.begin(), ReplyKind.Ok, -1, false);
      for (let i = 0; i < writes; i += 1) {
        const index = keyspace.randomIndex();
        sink.add(
          codec.put(keyspace.key(index), keyspace.value(index)),
          codec.putInTxReply,
          index,
          false,
        );
      }
      // Redis's EXEC must answer one OK per SET; Haus's COMMIT answers one Ok, unchecked further.
      sink.add(codec.commit(), codec.commitReply, writes, true);
      return true;
    },
  };
}

export interface FillOptions {
  codec: ProtocolCodec;
  keyspace: Keyspace;
  /** Key indexes first, first + stride, first + 2 * stride, ... below `end`. */
  first: number;
  stride: number;
  end: number;
}

/** Writes every key of a slice of the keyspace once, so later GETs hit. */
export function fillWorkload(options: FillOptions): Workload {
  const { codec, keyspace, stride, end } = options;
  let index = options.first;
  return {
    nextOp(sink) {
      if (index >= end) return false;
      sink.add(codec.put(keyspace.key(index), keyspace.value(index)), ReplyKind.Ok, index, true);
      index += stride;
      return true;
    },
  };
}
