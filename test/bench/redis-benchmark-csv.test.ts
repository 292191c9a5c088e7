/**
 * The redis-benchmark CSV reader: Redis 7.0's output read column by column, the older two-column
 * form read without latencies, and output that cannot be trusted refused with a reason.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRedisBenchmarkCsv, splitCsvLine } from '../../bench/redis-benchmark-csv.js';

/** What `redis-benchmark -t set,get,incr,mset -P 16 -q --csv` printed against Redis 7.0.15. */
const REDIS_7_OUTPUT = [
  '"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",' +
    '"p99_latency_ms","max_latency_ms"',
  '"SET","1219512.12","0.563","0.096","0.463","0.943","3.335","3.551"',
  '"GET","632911.38","1.166","0.096","0.527","2.799","4.039","40.895"',
  '"INCR","1265822.75","0.539","0.088","0.423","1.143","2.831","3.415"',
  '"MSET (10 keys)","334448.16","2.294","0.136","1.775","4.511","6.767","16.655"',
  '',
].join('\n');

describe('redis-benchmark CSV', () => {
  test('Redis 7.0 output gives every test with its rps and six latencies', () => {
    const { rows, otherLines } = parseRedisBenchmarkCsv(REDIS_7_OUTPUT);
    assert.deepEqual(
      rows.map((row) => [row.test, row.requestsPerSec]),
      [
        ['SET', 1219512.12],
        ['GET', 632911.38],
        ['INCR', 1265822.75],
        ['MSET (10 keys)', 334448.16],
      ],
    );
    assert.deepEqual(rows[3], {
      test: 'MSET (10 keys)',
      requestsPerSec: 334448.16,
      avgLatencyMs: 2.294,
      minLatencyMs: 0.136,
      p50LatencyMs: 1.775,
      p95LatencyMs: 4.511,
      p99LatencyMs: 6.767,
      maxLatencyMs: 16.655,
    });
    assert.deepEqual(otherLines, []);
  });

  test('columns are found by name, so a reordered header reads the same', () => {
    const { rows } = parseRedisBenchmarkCsv(
      '"rps","p99_latency_ms","test"\r\n"1000.50","0.250","GET"\r\n',
    );
    assert.equal(rows[0]?.test, 'GET');
    assert.equal(rows[0]?.requestsPerSec, 1000.5);
    assert.equal(rows[0]?.p99LatencyMs, 0.25);
    assert.equal(rows[0]?.p50LatencyMs, null, 'a column that is absent reads as null');
  });

  test('the older test,rps form gives rps and no latencies', () => {
    const { rows } = parseRedisBenchmarkCsv('"test","rps"\n"SET","98039.22"\n');
    assert.equal(rows[0]?.requestsPerSec, 98039.22);
    assert.equal(rows[0]?.avgLatencyMs, null);
  });

  test('a warning that reached stdout is kept aside, not parsed', () => {
    const text = `WARNING: Could not fetch server CONFIG\n${REDIS_7_OUTPUT}`;
    const { rows, otherLines } = parseRedisBenchmarkCsv(text);
    assert.equal(rows.length, 4);
    assert.deepEqual(otherLines, ['WARNING: Could not fetch server CONFIG']);
  });

  test('output that cannot be trusted is refused with the offending line', () => {
    assert.throws(() => parseRedisBenchmarkCsv(''), /no CSV header/);
    assert.throws(() => parseRedisBenchmarkCsv('"name","value"\n'), /lacks "test" or "rps"/);
    assert.throws(
      () => parseRedisBenchmarkCsv('"test","rps"\n"SET","98039.22","1"\n'),
      /3 fields, the header 2: "SET"/,
    );
    assert.throws(
      () => parseRedisBenchmarkCsv('"test","rps"\n"SET","fast"\n'),
      /rps "fast" is not a number/,
    );
    assert.throws(() => parseRedisBenchmarkCsv('"test","rps"\n"SET,"1"\n'), /text after/);
  });

  test('CSV fields: quoted with doubled quotes and commas inside, bare, and empty', () => {
    assert.deepEqual(splitCsvLine('"a ""b"", c",2,,"d"'), ['a "b", c', '2', '', 'd']);
    assert.deepEqual(splitCsvLine('x,'), ['x', '']);
    assert.throws(() => splitCsvLine('"open'), /unclosed quote/);
  });
});
