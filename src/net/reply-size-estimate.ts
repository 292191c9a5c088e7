/**
 * A bound on how large a GET reply can be, so a client that pipelines GETs without reading its
 * replies cannot make the shards format gigabytes of them (the soft output limit alone only
 * sees replies once they reach the socket, after the shard has built them all).
 *
 * The main thread never sees a value before its reply, but it sees every value as it is
 * stored: every PUT, plain or buffered in a transaction, is parsed here. The largest value
 * accepted so far bounds any GET reply (times JSON escaping, which for ordinary text is 1x).
 *
 * The lesser evil we chose: the bound never shrinks, because the main thread does not know
 * when the largest value is deleted. A server that once stored a 10 MiB value lets each client
 * keep only --client-output-soft-bytes / 10 MiB GETs in flight (always at least one), which
 * costs pipelining depth for small GETs too, but never memory.
 */

/** Bytes of a GET reply besides its value: `{"status": "Ok", "result": ""}\n`. */
const replyFrameBytes = 32;

export class ReplySizeEstimate {
  private largestValueBytes = 0;

  /** Called for every PUT the server parses, before it is stored. */
  noteValue(valueBytes: number): void {
    if (valueBytes > this.largestValueBytes) this.largestValueBytes = valueBytes;
  }

  /** The most a GET reply can take in memory, for ordinary (unescaped) text. */
  get getReplyBytesMax(): number {
    return this.largestValueBytes + replyFrameBytes;
  }
}
