import { MessagePort, Transferable, Worker } from 'node:worker_threads';
import { ServingError, toServingError } from '../errors/serving-error';
import { Code } from '../errors/status-code';

/**
 * Calls between the control plane and a front-end thread over one message channel: each side names
 * the calls it answers (`handle`) and the one-way notes it takes (`onNote`). Errors keep their
 * canonical code across the hop, and a caller's abort signal reaches the handler's.
 */

/** What a side answers: call name → [request, reply]. */
export type CallMap = { [name: string]: [unknown, unknown] };
/** What a side takes without replying: note name → payload. */
export type NoteMap = { [name: string]: unknown };

type Wire =
  | { t: 'call'; id: number; name: string; payload: unknown }
  | { t: 'reply'; id: number; value: unknown }
  | { t: 'fail'; id: number; code: number; message: string }
  | { t: 'note'; name: string; payload: unknown }
  | { t: 'cancel'; id: number };

/** A reply and the buffers it moves rather than copies. */
export interface Answer<T> {
  readonly value: T;
  readonly transfer?: Transferable[];
}

type Endpoint = MessagePort | Worker;
type Handler = (payload: unknown, signal: AbortSignal) => Promise<Answer<unknown>> | Answer<unknown>;

export class ThreadRpc<In extends CallMap, InNotes extends NoteMap, Out extends CallMap, OutNotes extends NoteMap> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private readonly handlers = new Map<string, Handler>();
  private readonly notes = new Map<string, (payload: unknown) => void>();
  /** Calls this side is answering, by id: the other side may cancel them. */
  private readonly answering = new Map<number, AbortController>();

  constructor(private readonly port: Endpoint) {
    port.on('message', (m: Wire) => this.receive(m));
    // A call to a thread that is gone would wait forever, and nobody waits any more for what it asked.
    const gone = () => {
      this.failAll(new ServingError(Code.UNAVAILABLE, 'the thread answering this call is gone'));
      for (const c of this.answering.values()) c.abort();
    };
    if (port instanceof Worker) port.on('exit', gone);
    else port.on('close', gone);
  }

  /** `signal` fires when the caller aborts the call (or is gone). */
  handle<K extends keyof In & string>(name: K, fn: (payload: In[K][0], signal: AbortSignal) => Promise<Answer<In[K][1]>> | Answer<In[K][1]>): void {
    this.handlers.set(name, fn as Handler);
  }

  onNote<K extends keyof InNotes & string>(name: K, fn: (payload: InNotes[K]) => void): void {
    this.notes.set(name, fn as (payload: unknown) => void);
  }

  /** `signal`: aborting it tells the other side, whose handler's signal fires. */
  call<K extends keyof Out & string>(name: K, payload: Out[K][0], transfer: Transferable[] = [], signal?: AbortSignal): Promise<Out[K][1]> {
    const id = this.nextId++;
    const cancel = () => this.port.postMessage({ t: 'cancel', id } satisfies Wire);
    const reply = new Promise<Out[K][1]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.port.postMessage({ t: 'call', id, name, payload } satisfies Wire, transfer);
    });
    if (!signal) return reply;
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
    return reply.finally(() => signal.removeEventListener('abort', cancel));
  }

  note<K extends keyof OutNotes & string>(name: K, payload: OutNotes[K], transfer: Transferable[] = []): void {
    this.port.postMessage({ t: 'note', name, payload } satisfies Wire, transfer);
  }

  /** Fails every call still waiting (the other side is gone). */
  failAll(error: ServingError): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  private receive(m: Wire): void {
    switch (m.t) {
      case 'call':
        void this.answer(m.id, m.name, m.payload);
        return;
      case 'note':
        this.notes.get(m.name)?.(m.payload);
        return;
      case 'cancel':
        this.answering.get(m.id)?.abort();
        return;
      case 'reply':
      case 'fail': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if (m.t === 'reply') p.resolve(m.value);
        else p.reject(new ServingError(m.code, m.message));
      }
    }
  }

  private async answer(id: number, name: string, payload: unknown): Promise<void> {
    const controller = new AbortController();
    this.answering.set(id, controller);
    try {
      const fn = this.handlers.get(name);
      if (!fn) throw new Error(`no handler for ${name}`);
      const a = await fn(payload, controller.signal);
      this.port.postMessage({ t: 'reply', id, value: a.value } satisfies Wire, a.transfer ?? []);
    } catch (err) {
      const e = toServingError(err);
      this.port.postMessage({ t: 'fail', id, code: e.code, message: e.message } satisfies Wire);
    } finally {
      this.answering.delete(id);
    }
  }
}
