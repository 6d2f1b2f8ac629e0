import { DomainError } from '../errors.ts';

/**
 * The live event streams (text/event-stream) a web process holds open: at most `perOwner` per
 * user or API token, and all of them ended when the process shuts down, so a stream never keeps
 * the server from closing (the browser's EventSource reconnects, to another process).
 */
export class EventStreams {
  readonly #perOwner: number;
  readonly #open = new Map<string, Set<AbortController>>();
  #closed = false;

  constructor(perOwner: number) {
    this.#perOwner = perOwner;
  }

  /**
   * Opens a stream for `owner`: its signal aborts on shutdown (reason `shutdown`); call `done`
   * when the stream ends. Refused with 429 past the cap, 503 once shutting down.
   */
  open(owner: string): { signal: AbortSignal; done: () => void } {
    if (this.#closed) {
      throw new DomainError('shutting_down', 'this server is shutting down; try again', { status: 503 });
    }
    const streams = this.#open.get(owner) ?? new Set<AbortController>();
    if (streams.size >= this.#perOwner) {
      throw new DomainError(
        'too_many_streams',
        `at most ${this.#perOwner} live streams at once; close one first`,
        { status: 429, details: { limit: this.#perOwner } },
      );
    }
    const controller = new AbortController();
    streams.add(controller);
    this.#open.set(owner, streams);
    return {
      signal: controller.signal,
      done: () => {
        streams.delete(controller);
        if (streams.size === 0 && this.#open.get(owner) === streams) this.#open.delete(owner);
      },
    };
  }

  /** How many streams are open now. */
  get size(): number {
    let n = 0;
    for (const streams of this.#open.values()) n += streams.size;
    return n;
  }

  /** Ends every open stream and refuses new ones. */
  closeAll(): void {
    this.#closed = true;
    for (const streams of this.#open.values()) {
      for (const controller of streams) controller.abort('shutdown');
    }
  }
}
