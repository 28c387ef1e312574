// HTTP server for the Docker plugin protocol (fastify). Parses any body as JSON whatever the Content-Type
// (dockerd sends none, and empty bodies for argument-less calls), validates it against the method's schema,
// runs the handler and encodes the outcome through server/reply.ts. Listening and shutdown live in listener.ts.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { HandlerContext } from '../context.ts';
import { InvalidRequestError, NotFoundError, isPluginError } from '../errors.ts';
import { errorReply, errorText, transportErrorReply } from './reply.ts';
import { ROUTES, type Route } from './routes.ts';

export interface ServerOptions {
  logger: Logger;
  https?: { cert: Buffer; key: Buffer };
  /** observe each finished call (metrics, tests) */
  onCall?: (method: string, outcome: 'ok' | 'error', ms: number) => void;
  /**
   * Operator endpoints served next to the Docker methods (e.g. POST /Kuryr.ReleaseVf for `kuryr vf release`):
   * path → handler. JSON in and out; a PluginError answers 4xx/5xx with {"Err": "<CODE>: <message>"}.
   */
  adminRoutes?: Record<string, (body: unknown) => Promise<object>>;
}

/** HTTP status of a failed admin call: the caller's mistake, a refusal, or ours */
function adminStatus(err: unknown): number {
  if (err instanceof InvalidRequestError) return 400;
  if (err instanceof NotFoundError) return 404;
  if (isPluginError(err) && (err.code === 'ERR_VF_IN_USE' || err.code === 'ERR_STATE_LOCKED')) return 409;
  return 500;
}

const DOCKER_CONTENT_TYPE = 'application/vnd.docker.plugins.v1+json';

export function createServer(ctx: HandlerContext, opts: ServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: 1024 * 1024,
    ...(opts.https ? { https: opts.https } : {}),
  }) as unknown as FastifyInstance;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') { done(null, {}); return; }
    try {
      done(null, JSON.parse(text));
    } catch {
      const err = new Error('ERR_INVALID_REQUEST: request body is not valid JSON') as Error & { statusCode: number };
      err.statusCode = 400;
      done(err, undefined);
    }
  });

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 ? err.statusCode : 500;
    const r = transportErrorReply(status, err.message);
    return reply.code(r.status).type(DOCKER_CONTENT_TYPE).send(r.body);
  });
  app.setNotFoundHandler((req, reply) => {
    const r = transportErrorReply(404, `ERR_UNKNOWN_METHOD: ${req.method} ${req.url} is not a plugin method`);
    return reply.code(r.status).type(DOCKER_CONTENT_TYPE).send(r.body);
  });

  for (const [path, route] of Object.entries(ROUTES)) {
    // fastify's own per-request lines are silenced (logLevel warn); one line per call is logged below
    app.post(path, { logLevel: 'warn' }, async (req, reply) => {
      const started = performance.now();
      const method = path.slice(1);
      const outcome = await runRoute(ctx, route, req.body ?? {});
      const ms = performance.now() - started;
      if ('error' in outcome) {
        const r = errorReply(route.iface, outcome.error, req.id);
        const level = outcome.error instanceof InvalidRequestError ? 'warn' : 'error';
        opts.logger[level]({ method, ms: Math.round(ms), reqId: req.id, err: outcome.error }, 'call failed');
        opts.onCall?.(method, 'error', ms);
        return reply.code(r.status).type(DOCKER_CONTENT_TYPE).send(r.body);
      }
      opts.logger.debug({ method, ms: Math.round(ms), reqId: req.id }, 'call ok');
      opts.onCall?.(method, 'ok', ms);
      return reply.code(200).type(DOCKER_CONTENT_TYPE).send(outcome.value);
    });
  }
  for (const [path, handle] of Object.entries(opts.adminRoutes ?? {})) {
    app.post(path, { logLevel: 'warn' }, async (req, reply) => {
      try {
        const value = await handle(req.body ?? {});
        opts.logger.info({ method: path.slice(1), reqId: req.id }, 'admin call ok');
        return reply.code(200).type('application/json').send(value);
      } catch (err) {
        opts.logger.warn({ method: path.slice(1), reqId: req.id, err }, 'admin call failed');
        return reply.code(adminStatus(err)).type('application/json').send({ Err: errorText(err, req.id) });
      }
    });
  }
  return app;
}

async function runRoute(ctx: HandlerContext, route: Route, body: unknown): Promise<{ value: object } | { error: unknown }> {
  try {
    let input: unknown = body;
    if (route.schema !== undefined) {
      const parsed = route.schema.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? issue.path.join('.') : '(body)';
        throw new InvalidRequestError('ERR_INVALID_REQUEST', `${where}: ${issue?.message ?? 'invalid'}`);
      }
      input = parsed.data;
    }
    return { value: await route.handle(ctx, input as never) };
  } catch (error) {
    return { error };
  }
}
