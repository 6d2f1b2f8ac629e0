/**
 * The authority's rate limit and concurrency cap. The product uses the PostgreSQL gate
 * (gate.repo.ts) so the limits hold across every worker process; this in-memory gate is for a
 * single process and for tests. Both keep a sliding window of request starts (stricter than a
 * token bucket, which lets up to twice the rate through in a window straddling a refill).
 */
/**
 * Frees a request's slot. `answeredAt` (performance.now() when its answer began to arrive) lets
 * a gate count the request from then, not from whenever the release reaches it.
 */
export type Release = (answeredAt?: number) => Promise<void>;

export interface AuthorityGate {
  /** Waits for permission to send one request; call the returned release once its answer arrives. */
  acquire(signal?: AbortSignal): Promise<Release>;
}

export interface GateLimits {
  /** At most this many request starts within any `windowMs`. */
  maxRequests: number;
  windowMs: number;
  maxInFlight: number;
}

export type GateDecision = { admit: true } | { admit: false; retryInMs: number | null };

/**
 * Whether one more request may start now. `retryInMs` says when the window frees a slot, or is
 * null when only a release can help.
 */
export function gateDecision(
  starts: readonly number[],
  inFlight: number,
  limits: GateLimits,
  now: number,
): GateDecision {
  if (inFlight >= limits.maxInFlight) return { admit: false, retryInMs: null };
  const recent = starts.filter((t) => t > now - limits.windowMs);
  if (recent.length < limits.maxRequests) return { admit: true };
  const oldest = Math.min(...recent);
  return { admit: false, retryInMs: Math.max(1, Math.ceil(oldest + limits.windowMs - now)) };
}

export class MemoryAuthorityGate implements AuthorityGate {
  readonly limits: GateLimits;
  readonly #now: () => number;
  #starts: number[] = [];
  #inFlight = 0;
  #waiters: { grant: () => void }[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(limits: GateLimits, now: () => number = () => performance.now()) {
    this.limits = limits;
    this.#now = now;
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          let released = false;
          resolve(async () => {
            if (released) return;
            released = true;
            this.#inFlight--;
            this.#pump();
          });
        },
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#waiters.length > 0) {
      const now = this.#now();
      this.#starts = this.#starts.filter((t) => t > now - this.limits.windowMs);
      const decision = gateDecision(this.#starts, this.#inFlight, this.limits, now);
      if (!decision.admit) {
        if (decision.retryInMs !== null && !this.#timer) {
          this.#timer = setTimeout(() => {
            this.#timer = undefined;
            this.#pump();
          }, decision.retryInMs);
        }
        return;
      }
      this.#starts.push(now);
      this.#inFlight++;
      this.#waiters.shift()!.grant();
    }
  }
}
