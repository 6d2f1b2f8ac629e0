import { z } from 'zod';
import type { Answer } from './answers.ts';
import type { RouteDef } from './routes.ts';

const errorEnvelope = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        messageAr: {
          type: 'string',
          description:
            "the message in Arabic: the error's own words, or the catalogue's sentence for the code (see wordsFrom)",
        },
        wordsFrom: {
          type: 'string',
          enum: ['error', 'catalogue'],
          description:
            "'error' when message and messageAr are the error's own words in both languages (a refused file: which file, row and column); 'catalogue' when messageAr is the code's general sentence",
        },
        details: {
          description:
            "what the code needs said; for invalid_request, one entry per problem: { path, code, message (zod's English or the schema's own), messageAr (the same in Arabic, naming the field) }",
        },
        requestId: {
          type: 'string',
          description: 'the request id in the logs, also the x-request-id header',
        },
      },
    },
  },
};

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

/** What a route sends, as JSON Schema (without the `$schema` line each standalone schema carries). */
function outputSchema(schema: z.ZodType): unknown {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' });
  return rest;
}

/** A success answer in the document: JSON with its schema (as sent), a file or a stream by media type. */
function response(answer: Answer) {
  switch (answer.kind) {
    case 'json':
      return {
        description: answer.description,
        content: {
          'application/json': {
            schema: outputSchema(answer.schema),
          },
        },
      };
    case 'file':
      return {
        description: answer.description,
        content: Object.fromEntries(
          answer.mediaTypes.map((type) => [type, { schema: { type: 'string', format: 'binary' } }]),
        ),
      };
    case 'stream':
      return {
        description: answer.description,
        content: { [answer.mediaType]: { schema: { type: 'string' } } },
      };
    case 'empty':
      return { description: answer.description };
  }
}

/** The API document, built from the same route table that serves the API, so they cannot drift. */
export function openApiDocument(routes: RouteDef[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const match of route.path.matchAll(/:([A-Za-z]+)/g)) {
      parameters.push({
        name: match[1],
        in: 'path',
        required: true,
        schema: { type: 'string', pattern: '^[0-9]+$' },
      });
    }
    if (route.access.kind === 'account') {
      parameters.push({
        name: 'x-account-id',
        in: 'header',
        required: false,
        description: 'The account to act in; required with a session cookie, implied by an API token',
        schema: { type: 'string' },
      });
    }
    if (route.query) {
      const query = jsonSchema(route.query) as { properties?: Record<string, unknown> };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({ name, in: 'query', required: false, schema });
      }
    }
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: [route.tag],
      operationId: `${route.method}${route.path.replace(/[/:]+([a-zA-Z])/g, (_, c: string) => c.toUpperCase())}`,
      parameters,
      responses: {
        ...Object.fromEntries(
          Object.entries(route.responses).map(([status, answer]) => [status, response(answer)]),
        ),
        default: { description: 'an error', content: { 'application/json': { schema: errorEnvelope } } },
      },
      'x-access':
        route.access.kind === 'account' ? `permission ${route.access.permission}` : route.access.kind,
    };
    if (route.access.kind !== 'public') operation.security = [{ session: [], csrf: [] }, { bearer: [] }];
    if (route.body) {
      operation.requestBody = {
        required: true,
        content: { 'application/json': { schema: jsonSchema(route.body) } },
      };
    }
    if (route.multipart) {
      const fields = Object.fromEntries(
        Object.entries(route.multipart.fields).map(([name, schema]) => [name, jsonSchema(schema)]),
      );
      operation.requestBody = {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              required: ['file'],
              properties: {
                file: { type: 'string', contentMediaType: 'application/octet-stream' },
                ...fields,
              },
            },
          },
        },
      };
    }
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Fleet fines reconciliation API',
      version: '1',
      description:
        'Every error answers { "error": { "code", "message", "details" } }. Browser clients sign in with ' +
        'POST /session and send the returned csrfToken as x-csrf-token on state-changing requests; ' +
        'ERP systems send an API token as "Authorization: Bearer fft_…" and need no CSRF token. ' +
        'Name the account with the x-account-id header.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'fleet_session' },
        csrf: { type: 'apiKey', in: 'header', name: 'x-csrf-token' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    paths,
  };
}
