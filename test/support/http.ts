import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createLogger } from '../../server/logger.ts';
import { type RunningProduct, startProduct } from '../../server/product.ts';
import type { TestDatabase } from './database.ts';
import { TEST_PASSWORD } from './factories.ts';

/** Starts the product (web + worker, or web only) on the test file's database; call at the top level. */
export function useProduct(
  test: TestDatabase,
  env: Record<string, string> = {},
  role: 'all' | 'web' = 'all',
): { product: RunningProduct } {
  const handle = {} as { product: RunningProduct };
  beforeAll(async () => {
    const config = loadConfig({ ...test.env, PORT: '0', ...env }, [`--role=${role}`]);
    handle.product = await startProduct(config, createLogger({ level: 'silent', pretty: false }));
  });
  afterAll(async () => {
    await handle.product?.stop();
  });
  return handle;
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** A client for /api/v1 that keeps a session cookie and CSRF token like a browser would. */
export class ApiClient {
  readonly baseUrl: string;
  cookie: string | undefined;
  csrfToken: string | undefined;
  bearer: string | undefined;
  accountId: string | undefined;
  forwardedFor: string | undefined;

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const all: Record<string, string> = { ...headers };
    if (body !== undefined) all['content-type'] = 'application/json';
    if (this.cookie) all.cookie = this.cookie;
    if (this.csrfToken && method !== 'GET') all['x-csrf-token'] = this.csrfToken;
    if (this.bearer) all.authorization = `Bearer ${this.bearer}`;
    if (this.accountId && !('x-account-id' in all)) all['x-account-id'] = this.accountId;
    if (this.forwardedFor) all['x-forwarded-for'] = this.forwardedFor;
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: all,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    // JSON answers parsed; a file (CSV, say) stays text.
    const json = res.headers.get('content-type')?.includes('json') ?? false;
    return {
      status: res.status,
      body: (text ? (json ? JSON.parse(text) : text) : undefined) as T,
      headers: res.headers,
    };
  }

  get<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('GET', path, undefined, headers);
  }
  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body ?? {}, headers);
  }
  patch<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('PATCH', path, body ?? {}, headers);
  }
  delete<T = unknown>(path: string, headers?: Record<string, string>) {
    return this.request<T>('DELETE', path, undefined, headers);
  }

  /** Signs in; keeps the cookie and CSRF token for later requests. */
  async signIn(
    email: string,
    password = TEST_PASSWORD,
  ): Promise<ApiResponse<{ csrfToken: string; accounts: Array<{ id: string; role: string }> }>> {
    const res = await this.post<{ csrfToken: string; accounts: Array<{ id: string; role: string }> }>(
      '/session',
      { email, password },
    );
    if (res.status === 200) {
      // Keeps every cookie set (the session's and the remembered device's), as a browser would.
      const jar = new Map(
        (this.cookie ?? '')
          .split('; ')
          .filter(Boolean)
          .map((c) => c.split('=', 2) as [string, string]),
      );
      for (const set of res.headers.getSetCookie()) {
        const [name, value] = set.split(';')[0]!.split('=', 2) as [string, string];
        jar.set(name, value);
      }
      this.cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      this.csrfToken = res.body.csrfToken;
    }
    return res;
  }
}
