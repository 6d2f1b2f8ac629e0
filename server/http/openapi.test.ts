import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from './app.ts';
import { openApiDocument } from './openapi.ts';

type Operation = {
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<
    string,
    {
      content?: Record<
        string,
        { schema: { type?: string; anyOf?: unknown[]; properties?: Record<string, unknown> } }
      >;
    }
  >;
};

const document = openApiDocument(apiRoutes);
const operations = Object.entries(document.paths).flatMap(([p, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({
    route: `${method} ${p}`,
    ...(operation as Operation),
  })),
);

describe('the API document', () => {
  it('documents every registered route, each with its success answer and the error envelope', () => {
    expect(operations).toHaveLength(apiRoutes.length);
    for (const operation of operations) {
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.some((status) => /^2\d\d$/.test(status)),
        operation.route,
      ).toBe(true);
      const envelope = operation.responses.default?.content?.['application/json']?.schema;
      expect(envelope?.properties, operation.route).toHaveProperty('error');
    }
  });

  it('gives every success answer its schema, its media type, or says it is empty', () => {
    for (const operation of operations) {
      const successes = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      expect(successes.length, operation.route).toBeGreaterThan(0);
      for (const [status, answer] of successes) {
        const label = `${operation.route} ${status}`;
        if (status === '204') {
          expect(answer.content, label).toBeUndefined();
          continue;
        }
        const content = Object.entries(answer.content ?? {});
        expect(content.length, label).toBeGreaterThan(0);
        for (const [mediaType, { schema }] of content) {
          if (mediaType === 'application/json') expect(schema.type ?? schema.anyOf, label).toBeDefined();
          else
            expect(mediaType, label).toMatch(
              /^(application\/(pdf|vnd\.openxml\S+)|text\/(csv|event-stream))$/,
            );
        }
      }
    }
    const media = (route: string) =>
      Object.keys(operations.find((o) => o.route === route)!.responses['200']!.content!);
    expect(media('get /runs/{runId}/events')).toEqual(['text/event-stream']);
    expect(media('get /violations.csv')).toEqual(['text/csv']);
    expect(media('get /runs/{runId}/statement.pdf')).toEqual(['application/pdf']);
    const pending = operations.find((o) => o.route === 'get /runs/{runId}/statement.xlsx')!.responses['202'];
    expect(pending?.content?.['application/json']?.schema.properties).toHaveProperty('poll');
  });

  it('describes JSON answers as sent: ids and amounts in minor units as decimal strings', () => {
    const run = operations.find((o) => o.route === 'get /runs/{runId}')!.responses['200']!.content![
      'application/json'
    ]!.schema as { properties: Record<string, { type?: string }> };
    expect(run.properties.id?.type).toBe('string');
    const numbers = operations.find((o) => o.route === 'get /payment-numbers')!.responses['200']!.content![
      'application/json'
    ]!.schema as { properties: Record<string, unknown> };
    expect(numbers.properties).toHaveProperty('nextCursor');
    expect(JSON.stringify(numbers)).toContain('"totalMinor":{"type":"string","pattern":"^-?[0-9]+$"}');
  });

  it('documents every file upload as a multipart body with its file and form fields', () => {
    // The routes that read an upload are the ones whose handlers call receiveUpload.
    const serverDir = path.resolve(import.meta.dirname, '..');
    const readers = fs
      .readdirSync(serverDir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.routes.ts'))
      .map(
        (file) =>
          fs.readFileSync(path.join(serverDir, file), 'utf8').split('receiveUpload(ctx.req').length - 1,
      )
      .reduce((a, b) => a + b, 0);
    const multipart = operations.filter((o) => o.requestBody?.content['multipart/form-data']);
    expect(multipart.map((o) => o.route).sort()).toEqual([
      'post /payments/settlements',
      'post /runs/import',
      'post /uploads',
    ]);
    expect(multipart).toHaveLength(readers);
    for (const operation of multipart) {
      expect(
        Object.keys(operation.requestBody!.content['multipart/form-data']!.schema.properties!),
      ).toContain('file');
    }
  });
});
