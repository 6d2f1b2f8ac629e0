/** Helpers for the fleet upload tests: multipart uploads, downloads, fixtures, counting vehicles. */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Database } from '../../server/db/database.ts';
import type { UploadReport } from '../../server/fleet/fleet.service.ts';
import type { ApiClient, ApiResponse } from '../support/http.ts';

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/fleets');

export function fixture(name: string): Promise<Buffer> {
  return readFile(join(fixturesDir, name));
}

export interface ErrorBody {
  error: { code: string; message: string; details: unknown };
}

function headersOf(client: ApiClient): Record<string, string> {
  const headers: Record<string, string> = {};
  if (client.cookie) headers.cookie = client.cookie;
  if (client.csrfToken) headers['x-csrf-token'] = client.csrfToken;
  if (client.bearer) headers.authorization = `Bearer ${client.bearer}`;
  if (client.accountId) headers['x-account-id'] = client.accountId;
  return headers;
}

/** POST /uploads as multipart/form-data, the way a browser form would send it. */
export async function upload(
  client: ApiClient,
  bytes: Uint8Array,
  fileName: string,
  mode: string | null = 'merge',
): Promise<ApiResponse<UploadReport & ErrorBody>> {
  const form = new FormData();
  if (mode !== null) form.append('mode', mode);
  form.append('file', new Blob([new Uint8Array(bytes)]), fileName);
  const res = await fetch(`${client.baseUrl}/api/v1/uploads`, {
    method: 'POST',
    headers: headersOf(client),
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

export type ApplyBody = UploadReport & ErrorBody & { outcome: string };

export function apply(client: ApiClient, uploadId: string, body: Record<string, unknown> = {}) {
  return client.post<ApplyBody>(`/uploads/${uploadId}/apply`, body);
}

/** Uploads and applies; fails the test when either step does not succeed. */
export async function uploadAndApply(
  client: ApiClient,
  bytes: Uint8Array,
  fileName: string,
  mode: 'replace' | 'merge',
  options: Record<string, unknown> = {},
): Promise<{ preview: UploadReport; applied: ApplyBody }> {
  const preview = await upload(client, bytes, fileName, mode);
  if (preview.status !== 201 && preview.status !== 200) {
    throw new Error(`upload of ${fileName} answered ${preview.status}: ${JSON.stringify(preview.body)}`);
  }
  const applied = await apply(client, preview.body.id, options);
  if (applied.status !== 200) {
    throw new Error(`apply of ${fileName} answered ${applied.status}: ${JSON.stringify(applied.body)}`);
  }
  return { preview: preview.body, applied: applied.body };
}

export async function download(
  client: ApiClient,
  path: string,
): Promise<{ status: number; bytes: Buffer; type: string }> {
  const res = await fetch(`${client.baseUrl}/api/v1${path}`, { headers: headersOf(client) });
  return {
    status: res.status,
    bytes: Buffer.from(await res.arrayBuffer()),
    type: res.headers.get('content-type') ?? '',
  };
}

export interface FleetCounts {
  active: number;
  total: number;
  uploadsApplied: number;
  version: number;
}

/** What a refused file must not change: vehicles, applied uploads and the fleet version (read as owner). */
export async function fleetCounts(ownerDb: Database, accountId: bigint): Promise<FleetCounts> {
  const { rows } = await sql<FleetCounts>`
    select (select count(*)::int from vehicles where account_id = ${accountId} and active_until is null) as active,
           (select count(*)::int from vehicles where account_id = ${accountId}) as total,
           (select count(*)::int from uploads where account_id = ${accountId} and status = 'applied') as "uploadsApplied",
           coalesce((select version::int from fleet_state where account_id = ${accountId}), 0) as version`.execute(
    ownerDb,
  );
  return rows[0]!;
}

export async function activePlates(ownerDb: Database, accountId: bigint): Promise<string[]> {
  const { rows } = await sql<{ plate_key: string }>`
    select plate_key from vehicles where account_id = ${accountId} and active_until is null order by plate_key`.execute(
    ownerDb,
  );
  return rows.map((row) => row.plate_key);
}

export function csv(lines: string[]): Buffer {
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}
