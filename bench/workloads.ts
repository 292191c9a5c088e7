/**
 * What a connection sends next, one command at a time. A connection keeps `-P` commands in
 * flight and asks its workload for the next command whenever one is answered, so a
 * transaction at P=1 is interactive (START, then each PUT only after the previous reply, then
 * COMMIT), and at P=K+2 it is pipelined, exactly as the C load generator (../shared/loadgen)
 * counts depth. Each connection has its own workload object, so quotas need no coordination.
 */
import type { Keyspace } from './keyspace.js';
import type { ProtocolCodec } from './protocols/codec.js';
import { ReplyKind } from './protocols/reply.js';

export interface CommandSink {
  /**
   * `expected`: the reply kind the command must get. `check`: what that reply is checked
   * against beyond its kind: for a Value, the key whose value it must be; for an ArrayOk (EXEC),
   * the number of OKs it must hold; -1 for nothing more. `endsTx`: the command closes a
   * transaction, so its right reply counts one transaction.
   */
  add(command: string, expected: ReplyKind, check: number, endsTx: boolean): void;
}

export interface Workload {
  /** Appends the next command; false once this connection may start no more units. */
  nextCommand(sink: CommandSink): boolean;
  /**
   * True between a transaction's first and last command. A stopping connection still sends
   * the rest of the unit, so no server is left with a MULTI open; those replies fall after the
   * measured window and are not counted.
   */
  readonly midUnit: boolean;
}

export interface MixOptions {
  codec: ProtocolCodec;
  keyspace: Keyspace;
  /** Share of ops that are GETs, 0..1; the rest are PUTs. */
  getRatio: number;
  /** Ops this connection may send; Infinity when a duration ends the run. */
  unitsQuota: number;
}

/** Single GETs and PUTs on uniformly random keys. A GET must return its key's value. */
export function mixWorkload(options: MixOptions): Workload {
  const { codec, keyspace, getRatio } = options;
  let left = options.unitsQuota;
  return {
    midUnit: false,
    nextCommand(sink) {
      if (left <= 0) return false;
      left -= 1;
      const index = keyspace.randomIndex();
      if (Math.random() < getRatio) {
        sink.add(keyspace.getCommand(codec, index), ReplyKind.Value, index, false);
      } else {
        sink.add(keyspace.putCommand(codec, index), ReplyKind.Ok, index, false);
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
  /** Transactions this connection may start. */
  unitsQuota: number;
}

/** START, K PUTs on random keys, COMMIT (Redis: MULTI, K SETs, EXEC), a command at a time. */
export function transactionWorkload(options: TransactionOptions): Workload {
  const { codec, keyspace, writes } = options;
  let left = options.unitsQuota;
  /** 0: START is next; 1..K: that PUT is next; K + 1: COMMIT is next. */
  let step = 0;
  return {
    get midUnit() {
      return step !== 0;
    },
    nextCommand(sink) {
      if (step === 0) {
        if (left <= 0) return false;
        left -= 1;
        sink.add(codec.begin(), ReplyKind.Ok, -1, false);
      } else if (step <= writes) {
        const index = keyspace.randomIndex();
        sink.add(keyspace.putCommand(codec, index), codec.putInTxReply, index, false);
      } else {
        // Redis's EXEC must answer one OK per SET; Haus's COMMIT answers one Ok.
        sink.add(codec.commit(), codec.commitReply, writes, true);
        step = 0;
        return true;
      }
      step += 1;
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
    midUnit: false,
    nextCommand(sink) {
      if (index >= end) return false;
      sink.add(keyspace.putCommand(codec, index), ReplyKind.Ok, index, false);
      index += stride;
      return true;
    },
  };
}
