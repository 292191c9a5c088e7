/**
 * The file a snapshot is written to, made crash-safe as Redis makes its own (redis/redis
 * `src/rdb.c`, rdbSave: a temporary file, fsync, rename): the bytes go to a temporary file in
 * the snapshot's directory, which is flushed to disk, renamed over the snapshot file, and then
 * the directory itself is flushed so the rename survives a power cut too. Until the rename the
 * previous snapshot is untouched; from it on, the new one is whole. A crash (SIGKILL, power)
 * at any moment leaves one or the other, never a mix; a failure (disk full, no permission)
 * removes the temporary file and leaves the previous snapshot as it was.
 *
 * Everything here is asynchronous file I/O on libuv's threads: the main thread hands buffers
 * over and never touches their bytes. Appends run one at a time, in the order they were made,
 * which is the order of the CRC parts the caller keeps.
 */
import { constants } from 'node:fs';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Only the server's user may read a snapshot: it holds every key and value. */
const snapshotFileMode = 0o600;

/** Where a snapshot is written before it is renamed over `targetPath`: the same directory (a
 * rename is atomic only within one file system), and the same name every time, so a crash
 * leaves at most one such file, which the next start removes (snapshot-loader.ts). */
export function temporaryPathOf(targetPath: string): string {
  return join(dirname(targetPath), `${basename(targetPath)}.tmp`);
}

/** A file-system error as a person reads it: what failed, on which path, and why. */
export function describeFileError(action: string, path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reasons: Record<string, string> = {
    EACCES: "permission denied: the server's user may not write there",
    EPERM: "operation not permitted for the server's user",
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EROFS: 'the file system is read-only',
    ENOENT: 'the directory does not exist',
    ENOTDIR: 'a part of the path is not a directory',
    EISDIR: 'the path is a directory',
    EIO: 'an I/O error on the disk',
  };
  const reason =
    (code === undefined ? undefined : reasons[code]) ??
    (error instanceof Error ? error.message : String(error));
  return `cannot ${action} ${path}: ${reason}${code === undefined ? '' : ` (${code})`}`;
}

export class SnapshotFile {
  readonly targetPath: string;
  readonly temporaryPath: string;
  private readonly handle: FileHandle;
  private tail: Promise<void> = Promise.resolve();
  private failure: string | null = null;
  private closed = false;
  /** Bytes handed to append so far. */
  lengthBytes = 0;

  private constructor(targetPath: string, handle: FileHandle) {
    this.targetPath = targetPath;
    this.temporaryPath = temporaryPathOf(targetPath);
    this.handle = handle;
  }

  /** Opens (truncating) the temporary file; rejects with a message a person can act on. */
  static async create(targetPath: string): Promise<SnapshotFile> {
    const path = temporaryPathOf(targetPath);
    try {
      const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC;
      return new SnapshotFile(targetPath, await open(path, flags, snapshotFileMode));
    } catch (error) {
      throw new Error(describeFileError('create', path, error));
    }
  }

  /** Appends `chunks` after everything appended before; resolves once they are written (not
   * yet flushed to disk), rejects with a message a person can act on. */
  append(chunks: readonly Uint8Array[]): Promise<void> {
    for (const chunk of chunks) this.lengthBytes += chunk.length;
    const written = this.tail.then(() => this.writeAll(chunks));
    this.tail = written.catch(() => {});
    return written;
  }

  /** Flushes the file, renames it over the snapshot, flushes the directory. */
  async commit(): Promise<void> {
    await this.tail;
    if (this.failure !== null) throw new Error(this.failure);
    try {
      await this.handle.sync();
      await this.close();
    } catch (error) {
      throw new Error(describeFileError('write', this.temporaryPath, error));
    }
    try {
      await rename(this.temporaryPath, this.targetPath);
    } catch (error) {
      throw new Error(describeFileError('rename the snapshot over', this.targetPath, error));
    }
    // The rename is in the directory's data: without this a power cut could undo it. Some
    // file systems cannot sync a directory (EINVAL); the rename is done either way.
    let directory: FileHandle | null = null;
    try {
      directory = await open(dirname(this.targetPath), constants.O_RDONLY);
      await directory.sync();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EINVAL' && code !== 'ENOTSUP') {
        throw new Error(describeFileError('flush the directory of', this.targetPath, error));
      }
    } finally {
      await directory?.close();
    }
  }

  /** Gives up: closes and removes the temporary file; the previous snapshot stays. */
  async abandon(): Promise<void> {
    await this.tail;
    await this.close().catch(() => {});
    await rm(this.temporaryPath, { force: true }).catch(() => {});
  }

  private async writeAll(chunks: readonly Uint8Array[]): Promise<void> {
    if (this.failure !== null) throw new Error(this.failure);
    let pending = chunks.filter((chunk) => chunk.length > 0);
    try {
      while (pending.length > 0) {
        // A write may take only part of its buffers (a disk filling up): the rest goes again,
        // and the next attempt gets the error.
        let { bytesWritten } = await this.handle.writev(pending);
        const rest: Uint8Array[] = [];
        for (const chunk of pending) {
          if (bytesWritten >= chunk.length) {
            bytesWritten -= chunk.length;
            continue;
          }
          rest.push(bytesWritten === 0 ? chunk : chunk.subarray(bytesWritten));
          bytesWritten = 0;
        }
        pending = rest;
      }
    } catch (error) {
      this.failure = describeFileError('write', this.temporaryPath, error);
      throw new Error(this.failure);
    }
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
