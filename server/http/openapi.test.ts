import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from './app.ts';
import { openApiDocument } from './openapi.ts';

type Operation = {
  requestBody?: { content: Record<string, { schema: { properties?: Record<string, unknown> } }> };
  responses: Record<
    string,
    { content?: Record<string, { schema: { properties?: Record<string, unknown> } }> }
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
