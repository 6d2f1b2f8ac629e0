/**
 * The API on the same origin: the session cookie travels by itself; the CSRF token goes back as
 * `x-csrf-token` on every write, the chosen account as `x-account-id`. Errors arrive as the one
 * envelope `{ error: { code, message, messageAr?, wordsFrom?, details } }` and become an ApiError the
 * pages put in words. `messageAr` is kept only when the server words the error itself in both
 * languages (`wordsFrom: 'error'`); the code's general sentence the pages have already.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  readonly messageAr: string | null;
  constructor(
    status: number,
    code: string,
    message: string,
    details: unknown,
    messageAr: string | null = null,
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
    this.messageAr = messageAr;
  }
}

let csrfToken: string | undefined;
let accountId: string | undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

export function setAccountId(id: string | undefined): void {
  accountId = id;
}

function headers(method: string, extra?: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { accept: 'application/json', ...extra };
  if (accountId) out['x-account-id'] = accountId;
  if (method !== 'GET' && csrfToken) out['x-csrf-token'] = csrfToken;
  return out;
}

async function failure(res: Response): Promise<ApiError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as {
      error?: { code?: string; message?: string; messageAr?: string; wordsFrom?: string; details?: unknown };
    };
    const error = body.error;
    if (error?.code) {
      return new ApiError(
        res.status,
        error.code,
        error.message ?? '',
        error.details ?? null,
        error.wordsFrom === 'error' ? (error.messageAr ?? null) : null,
      );
    }
  } catch {
    // Not our envelope (a proxy's page, a cut connection): the status alone says what happened.
  }
  return new ApiError(
    res.status,
    res.status >= 500 ? 'internal_error' : 'http_error',
    text.slice(0, 200),
    null,
  );
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      credentials: 'same-origin',
      headers: headers(method, body === undefined ? undefined : { 'content-type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached', null);
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);
export const del = <T>(path: string) => request<T>('DELETE', path);

/** A multipart POST (uploads, authority exports). */
export async function postForm<T>(path: string, form: FormData): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: headers('POST'),
      body: form,
    });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached', null);
  }
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/**
 * Downloads a file the API serves (the account header and cookie are needed, so not a plain link).
 * A document still being rendered answers 202: that becomes the `document_rendering` error, so
 * the page says "try again shortly" instead of saving the 202's JSON as the file.
 */
export async function download(path: string, fallbackName: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { credentials: 'same-origin', headers: headers('GET') });
  } catch {
    throw new ApiError(0, 'network', 'the server could not be reached', null);
  }
  if (!res.ok) throw await failure(res);
  if (res.status === 202) {
    const body = (await res.json().catch(() => ({}))) as { retryAfterSeconds?: number };
    throw new ApiError(202, 'document_rendering', 'the document is being prepared', {
      seconds: body.retryAfterSeconds ?? Number(res.headers.get('retry-after') ?? 5),
    });
  }
  const disposition = res.headers.get('content-disposition') ?? '';
  const name = /filename\*=UTF-8''([^;]+)/.exec(disposition)?.[1];
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name ? decodeURIComponent(name) : fallbackName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}`;
}
