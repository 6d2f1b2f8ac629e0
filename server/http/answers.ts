import { z } from 'zod';

/**
 * What a route answers when it succeeds, per status: JSON with its schema, a file of a media type,
 * an event stream, or nothing. The API document is built from these, and where `checkResponses`
 * is on (tests) every JSON answer is parsed against its schema, so the two cannot drift.
 */
export type Answer =
  | { kind: 'json'; schema: z.ZodType; description: string }
  | { kind: 'file'; mediaTypes: string[]; description: string }
  | { kind: 'stream'; mediaType: 'text/event-stream'; description: string }
  | { kind: 'empty'; description: string };

export type Answers = Partial<Record<200 | 201 | 202 | 204, Answer>>;

export const json = (schema: z.ZodType, description = 'success'): Answer => ({
  kind: 'json',
  schema,
  description,
});

export const file = (description: string, ...mediaTypes: string[]): Answer => ({
  kind: 'file',
  mediaTypes,
  description,
});

export const eventStream = (description: string): Answer => ({
  kind: 'stream',
  mediaType: 'text/event-stream',
  description,
});

export const empty: Answer = { kind: 'empty', description: 'done, nothing to answer' };

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

// Shared pieces of answers. Ids and money are bigint inside and decimal strings in JSON.

/** A row id, as a decimal string. */
export const id = z.string().regex(/^[0-9]+$/);
/** An amount in minor units (fils, piastres), as a decimal string; never a float. */
export const minorUnits = z.string().regex(/^-?[0-9]+$/);
/** A time, ISO 8601 in UTC. */
export const timestamp = z.iso.datetime();
/** A calendar date, YYYY-MM-DD. */
export const isoDate = z.iso.date();
/** The cursor of the next page, or null on the last. */
export const nextCursor = z.string().nullable();

/** The JSON an answer carries on the wire: Dates as ISO text, bigints as decimal strings. */
export function wireJson(body: unknown): unknown {
  return JSON.parse(
    JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)),
  );
}

/** Parses a JSON answer against its route's schema; the message names the route and every mismatch. */
export function answerMismatch(route: string, status: number, answer: Answer | undefined, body: unknown) {
  if (!answer) return `${route} answered ${status}, which its route does not declare`;
  if (answer.kind !== 'json') {
    return body === undefined ? null : `${route} answered JSON with ${status}, declared as ${answer.kind}`;
  }
  const wire = wireJson(body);
  const parsed = answer.schema.safeParse(wire);
  if (!parsed.success) {
    return `${route} ${status} answer does not match its schema: ${z.prettifyError(parsed.error)}`;
  }
  // Objects drop fields their schema does not name; a dropped field is one the document lacks.
  const undocumented = droppedField(wire, parsed.data, '');
  return undocumented === null ? null : `${route} ${status} answers ${undocumented}, which its schema lacks`;
}

/** The first field of `sent` that `kept` (its parse) lost, as a path; null when none was. */
function droppedField(sent: unknown, kept: unknown, at: string): string | null {
  if (Array.isArray(sent) && Array.isArray(kept)) {
    for (const [index, item] of sent.entries()) {
      const found = droppedField(item, kept[index], `${at}[${index}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (sent === null || typeof sent !== 'object' || kept === null || typeof kept !== 'object') return null;
  for (const [key, value] of Object.entries(sent)) {
    if (!(key in kept)) return `${at}.${key}`;
    const found = droppedField(value, (kept as Record<string, unknown>)[key], `${at}.${key}`);
    if (found !== null) return found;
  }
  return null;
}
