/**
 * Hands out the interpreters of one model, each to one run at a time (TF Serving's
 * TfLiteInterpreterPool); a run waits, first come first served, while all are busy.
 */
export class InterpreterPool {
  private readonly free: number[];
  private readonly waiting: Array<(index: number) => void> = [];

  constructor(size: number) {
    this.free = Array.from({ length: size }, (_, i) => i);
  }

  acquire(): Promise<number> {
    const index = this.free.pop();
    if (index !== undefined) return Promise.resolve(index);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release(index: number): void {
    const next = this.waiting.shift();
    if (next) next(index);
    else this.free.push(index);
  }

  async with<T>(fn: (index: number) => Promise<T>): Promise<T> {
    const index = await this.acquire();
    try {
      return await fn(index);
    } finally {
      this.release(index);
    }
  }
}
