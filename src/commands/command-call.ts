/**
 * One command of the shared model as the coordinator receives it from either front door: its
 * table entry and its arguments as byte ranges (argument 0 is the command's name).
 */
import type { ArgRanges } from '../shards/batch-builder.js';
import type { CommandSpec } from './command-table.js';

export interface CommandCall {
  readonly spec: CommandSpec;
  readonly args: ArgRanges;
  readonly count: number;
  /** A connection command queued in MULTI: its reply, made when it was queued. */
  readonly fixedReply?: Buffer;
}

/** Arguments made by the coordinator itself (a SCAN cursor, a watcher id, a moved value). */
export function argsOf(parts: ReadonlyArray<string | Uint8Array>): ArgRanges {
  const buffers = parts.map((part) =>
    typeof part === 'string' ? Buffer.from(part, 'latin1') : part,
  );
  const bytes = Buffer.concat(buffers);
  const starts: number[] = [];
  const ends: number[] = [];
  let at = 0;
  for (const buffer of buffers) {
    starts.push(at);
    at += buffer.length;
    ends.push(at);
  }
  return { bytes, starts, ends };
}

/** A copy of the call's arguments in a buffer of its own: for a call that outlives the packet
 * it arrived in (queued in MULTI, or waiting for a lock). */
export function ownedCall(call: CommandCall): CommandCall {
  const { args, count } = call;
  let total = 0;
  for (let i = 0; i < count; i++) total += (args.ends[i] as number) - (args.starts[i] as number);
  const bytes = Buffer.allocUnsafe(total);
  const starts = new Array<number>(count);
  const ends = new Array<number>(count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const start = args.starts[i] as number;
    const end = args.ends[i] as number;
    bytes.set(args.bytes.subarray(start, end), at);
    starts[i] = at;
    at += end - start;
    ends[i] = at;
  }
  return { spec: call.spec, args: { bytes, starts, ends }, count };
}

/** Bytes of the call's arguments (for --max-tx-bytes and the memory estimate). */
export function callBytes(call: CommandCall): number {
  let total = 0;
  for (let i = 0; i < call.count; i++) {
    total += (call.args.ends[i] as number) - (call.args.starts[i] as number);
  }
  return total;
}

/** Argument `index` as a byte string. */
export function argText(call: CommandCall, index: number): string {
  return call.args.bytes.toString(
    'latin1',
    call.args.starts[index] as number,
    call.args.ends[index] as number,
  );
}
