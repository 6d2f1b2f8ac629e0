import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import type { ApiClient } from '../support/http.ts';

const run = promisify(execFile);

/** The text of a PDF as poppler's pdftotext reads it (physical layout), bidi marks removed. */
export async function pdfText(bytes: Buffer, options: { layout?: boolean } = {}): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'statement-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    await fs.writeFile(file, bytes);
    const { stdout } = await run('pdftotext', [...(options.layout === false ? [] : ['-layout']), file, '-'], {
      maxBuffer: 512 * 1024 * 1024,
    });
    return stdout.replace(/[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export async function pdfPages(bytes: Buffer): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'statement-'));
  try {
    const file = path.join(dir, 'doc.pdf');
    await fs.writeFile(file, bytes);
    const { stdout } = await run('pdfinfo', [file]);
    return Number(/^Pages:\s+(\d+)/m.exec(stdout)![1]);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

export interface Fetched {
  status: number;
  bytes: Buffer;
  headers: Headers;
}

/** A binary GET through the client's session. */
export async function fetchBytes(client: ApiClient, urlPath: string): Promise<Fetched> {
  const res = await fetch(`${client.baseUrl}/api/v1${urlPath}`, {
    headers: {
      ...(client.cookie ? { cookie: client.cookie } : {}),
      ...(client.accountId ? { 'x-account-id': client.accountId } : {}),
    },
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  // STATEMENT_DUMP_DIR keeps every downloaded document, to look at its rendered pages.
  const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1];
  if (process.env.STATEMENT_DUMP_DIR && res.status === 200 && name) {
    await fs.writeFile(path.join(process.env.STATEMENT_DUMP_DIR, name), bytes);
  }
  return { status: res.status, bytes, headers: res.headers };
}

/** Polls a statement until it is rendered: 202 (with where to poll) until then. */
export async function waitForDocument(client: ApiClient, urlPath: string): Promise<Fetched> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const got = await fetchBytes(client, urlPath);
    if (got.status === 200) return got;
    expect(got.status, got.bytes.toString()).toBe(202);
    expect(JSON.parse(got.bytes.toString())).toMatchObject({ status: 'rendering' });
    if (Date.now() > deadline) throw new Error(`${urlPath} was not rendered in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
