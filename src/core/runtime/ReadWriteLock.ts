// An asynchronous readers-writer lock with writer preference: any number of readers at once, or one writer alone;
// a waiting writer lets no new reader in, so a stream of decodes cannot starve an adapter load.
//
// Written here because no maintained npm package offers one (async-mutex has mutexes and semaphores only; the
// readers-writer packages are unmaintained or pre-release), and what it must do is small and tested in
// test/core/runtime/ReadWriteLock.test.ts.

export class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly waitingWriters: (() => void)[] = [];
  private readonly waitingReaders: (() => void)[] = [];

  /** Runs `fn` alongside other readers, never alongside a writer. */
  async read<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writing || this.waitingWriters.length > 0) await new Promise<void>((resolve) => this.waitingReaders.push(resolve));
    else this.readers++;
    try {
      return await fn();
    } finally {
      this.readers--;
      this.wake();
    }
  }

  /** Runs `fn` alone: no reader and no other writer at the same time. */
  async write<T>(fn: () => Promise<T>): Promise<T> {
    if (this.writing || this.readers > 0) await new Promise<void>((resolve) => this.waitingWriters.push(resolve));
    else this.writing = true;
    try {
      return await fn();
    } finally {
      this.writing = false;
      this.wake();
    }
  }

  /** Runs `fn` as a writer when nobody holds or waits for the lock now; otherwise returns at once without running it. */
  async writeIfFree(fn: () => Promise<void>): Promise<boolean> {
    if (this.writing || this.readers > 0 || this.waitingWriters.length > 0) return false;
    await this.write(fn);
    return true;
  }

  /** Hands the lock on: to the next writer when nobody holds it, else (no writer waiting) to every waiting reader. */
  private wake(): void {
    if (this.writing) return;
    if (this.waitingWriters.length > 0) {
      if (this.readers > 0) return;
      this.writing = true;
      this.waitingWriters.shift()!();
      return;
    }
    this.readers += this.waitingReaders.length;
    for (const resolve of this.waitingReaders.splice(0)) resolve();
  }
}
