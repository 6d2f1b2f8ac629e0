import { timingSafeEqual } from 'node:crypto';
import type express from 'express';
import { envelope } from '../http/errors.ts';
import { httpRequestSeconds, metricsRegistry } from './metrics.ts';

/**
 * GET /metrics in Prometheus's text format, for a scraper holding METRICS_TOKEN as a bearer
 * token. Without METRICS_TOKEN there is no such page (404): the numbers name queues, routes and
 * pools, which nobody outside needs to see.
 */
export function metricsRoute(token: string | undefined): express.RequestHandler {
  const expected = token ? Buffer.from(token) : undefined;
  return async (req, res) => {
    if (!expected) {
      res.status(404).json(envelope('route_not_found', 'no such resource'));
      return;
    }
    const given = Buffer.from(req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res
        .status(401)
        .set('www-authenticate', 'Bearer realm="metrics"')
        .json(envelope('unauthorized', 'GET /metrics needs the METRICS_TOKEN as a bearer token'));
      return;
    }
    res.set('content-type', metricsRegistry.contentType).send(await metricsRegistry.metrics());
  };
}

/**
 * Times every request by its route pattern (`/api/v1/runs/:id`), never its raw path, so the
 * series stay few and carry no ids or plates. A route of the API says its pattern in
 * `res.locals.route`; other matched routes give theirs; the web app's files and pages are `web`,
 * and anything else `unmatched`.
 */
export function requestMetrics(): express.RequestHandler {
  return (req, res, next) => {
    const end = httpRequestSeconds.startTimer({ method: req.method });
    res.on('finish', () => {
      const matched = typeof req.route?.path === 'string' ? `${req.baseUrl}${req.route.path}` : undefined;
      const route =
        (res.locals.route as string | undefined) ??
        matched ??
        (req.method === 'GET' && res.statusCode !== 404 ? 'web' : 'unmatched');
      end({ route, status: String(res.statusCode) });
    });
    next();
  };
}
