/**
 * CONFIG GET and CONFIG SET for the settings that are flags (SPEC.md section 7), against Redis
 * too: the same names, the same refusals for unknown and immutable settings, and a change that
 * takes effect at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { error, OK, PONG, RespClient } from '../support/resp-client.js';
import { startTarget, type Target, targetKinds } from '../support/targets.js';

for (const kind of targetKinds()) {
  describe(`CONFIG over RESP (${kind})`, () => {
    let target: Target;
    before(async () => {
      target = await startTarget(kind);
    });
    after(() => target.stop());

    test('CONFIG SET maxclients and timeout take effect, and CONFIG GET reads them back', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('CONFIG', 'SET', 'maxclients', '500'), OK);
      assert.deepEqual(await client.call('CONFIG', 'GET', 'maxclients'), ['maxclients', '500']);
      assert.deepEqual(await client.call('CONFIG', 'SET', 'timeout', '300'), OK);
      assert.deepEqual(await client.call('CONFIG', 'GET', 'timeout'), ['timeout', '300']);
      assert.deepEqual(await client.call('CONFIG', 'SET', 'timeout', '0'), OK);
      client.close();
    });

    test('unknown and immutable settings and bad values are refused', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(
        await client.call('CONFIG', 'SET', 'no-such-setting', '1'),
        error("ERR Unknown option or number of arguments for CONFIG SET - 'no-such-setting'"),
      );
      assert.deepEqual(
        await client.call('CONFIG', 'SET', 'databases', '4'),
        error(
          "ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config",
        ),
      );
      const bad = await client.call('CONFIG', 'SET', 'maxclients', 'lots');
      assert.ok(bad instanceof Object && 'message' in bad);
      assert.match(
        (bad as { message: string }).message,
        /^ERR CONFIG SET failed \(possibly related to argument 'maxclients'\) - /,
      );
      client.close();
    });

    test('CONFIG SET requirepass: new connections must authenticate, this one stays in', async () => {
      const client = await RespClient.connect(target.port);
      assert.deepEqual(await client.call('CONFIG', 'SET', 'requirepass', 'now-secret'), OK);
      assert.deepEqual(await client.call('PING'), PONG);
      const other = await RespClient.connect(target.port);
      assert.deepEqual(await other.call('GET', 'k'), error('NOAUTH Authentication required.'));
      assert.deepEqual(await other.call('AUTH', 'now-secret'), OK);
      assert.deepEqual(await client.call('CONFIG', 'SET', 'requirepass', ''), OK);
      other.close();
      client.close();
    });
  });
}
