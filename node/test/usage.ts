// Checked by `tsc --noEmit --strict` in types.test.js: the declarations cover the public API.
import {
  Verifier, Outcome, PassgateError, LOG_KEYS, OUTCOME_CODES, doctor, metrics, metricsText,
  type LogFields, type OutcomeCode, type WidgetArgs, type DoctorReport, type DoctorCheck, type MetricsSnapshot,
} from 'passgate';
import { register as registerPrometheus } from 'passgate/prometheus';
import { Registry } from 'prom-client';
import { requireCaptcha, CaptchaError, widgetLocals, cspDirectives, type CaptchaRenderLocals } from 'passgate/express';
import Fastify, { type FastifyRequest } from 'fastify';
import passgatePlugin, { requireCaptcha as fastifyCaptcha, type PassgatePluginOptions } from 'passgate/fastify';
import { verifyRequest, failureAnswer, type FailureAnswer } from 'passgate/http';
import { createServer } from 'node:http';

const verifier = new Verifier({
  appKey: 'key',
  appSecret: 'secret',
  environment: 'test',
  timeoutMs: 2000,
  logger: { info: (obj: LogFields, msg: string) => undefined, warn: (obj: LogFields, msg: string) => undefined },
});

async function main(): Promise<void> {
  const outcome: Outcome = await verifier.validate('pt_x', { clientIp: '203.0.113.7', action: 'login' });
  const ok: boolean = outcome.ok;
  const code: OutcomeCode = outcome.code;
  const status: number = outcome.httpStatus;
  const fields: LogFields = outcome.logFields;
  const fingerprint: string | null = fields.token_fingerprint;
  const ja: string = outcome.messageFor('ja');
  const sync: Outcome = verifier.validateSync(null);
  const token = await verifier.issueServerToken('login', { ttl: 60 });
  const serverToken: string = token.serverToken;
  try {
    Verifier.fromEnv();
  } catch (err) {
    if (err instanceof PassgateError && err.code === 'PASSGATE_CONFIG') {
      const message: string = err.message;
    }
  }
  const middleware = requireCaptcha({ verifier, action: 'login', field: 'captchala_token' });
  const htmlMiddleware = requireCaptcha({ verifier, render: 'signup' });
  const toNext = requireCaptcha({ verifier, passToNext: true });
  const keys: readonly (keyof LogFields)[] = LOG_KEYS;
  const codes: readonly OutcomeCode[] = OUTCOME_CODES;
}

// passgate/express declares req.passgate on Express's Request (the global namespace that
// @types/express's Request extends), so a route reads it without a cast.
function route(req: Express.Request): boolean {
  const passed: boolean | undefined = req.passgate?.ok;
  const outcome: Outcome | null | undefined = req.passgate;
  return passed === true && outcome !== null;
}

function errorHandler(err: unknown): number {
  if (err instanceof CaptchaError) {
    const code: OutcomeCode = err.code;
    const exposed: true = err.expose;
    const same: boolean = err.status === err.statusCode && err.outcome.httpStatus === err.status;
    return err.status;
  }
  return 500;
}

function view(locals: CaptchaRenderLocals): string {
  return `${locals.message} ${locals.passgate.code} ${String(locals.body.email)}`;
}

// The page half: the widget's HTML, its CSP sources, and the Express helpers for helmet.
function widgetPage(): string {
  const args: WidgetArgs = { action: 'comment', nonce: 'bm9uY2U=', lang: 'ja' };
  const html: string = verifier.widget(args);
  const turnstile: string = verifier.widget({ action: 'login', cdata: 'session_42', serverToken: null });
  const bare: string = verifier.widget();
  // @ts-expect-error action is a string
  verifier.widget({ action: 5 });
  // @ts-expect-error no such widget argument
  verifier.widget({ colour: 'red' });
  const csp: Record<string, string[]> = verifier.csp();
  const scriptSrc: string[] | undefined = csp['script-src'];
  const locals = widgetLocals({ verifier });
  const ownNonce = widgetLocals({ verifier, nonce: (req, res) => res.locals.cspNonce });
  const directives = cspDirectives(verifier, { defaultSrc: ["'self'"], scriptSrc: [], imgSrc: new Set(["'self'", 'data:']) });
  const first: string | ((req: any, res: any) => string) | undefined = directives['script-src']?.[0];
  return html + turnstile + bare + String(scriptSrc) + String(locals) + String(ownNonce) + String(first);
}

// widgetLocals declares res.locals.passgateWidget on Express's Locals, for templates.
function template(res: { locals: Express.Locals }): string {
  return res.locals.passgateWidget?.({ action: 'comment' }) ?? '';
}

// passgate/fastify: the plugin decorates the instance (fastify.passgate) and requests (request.passgate).
async function fastifyApp(): Promise<void> {
  const app = Fastify({ trustProxy: '127.0.0.1' });
  const options: PassgatePluginOptions = { verifier, header: 'x-captcha-token' };
  await app.register(passgatePlugin, options);
  app.post<{ Body: { email: string } }>('/login', { preHandler: app.passgate.requireCaptcha({ action: 'login' }) }, async (request) => {
    const passed: boolean = request.passgate?.ok ?? false;
    return { passed, email: request.body.email };
  });
  app.post('/signup', {
    preHandler: fastifyCaptcha({
      verifier, field: 'captchala_token',
      onFailure: (request, reply, outcome) => reply.code(outcome.httpStatus).send({ code: outcome.code, ip: request.ip }),
    }),
  }, async () => 'ok');
  const fromDecorator: Verifier = app.passgate.verifier;
  const seen = (request: FastifyRequest): Outcome | null => request.passgate;
  // @ts-expect-error the plugin needs a verifier
  await app.register(passgatePlugin, {});
  // @ts-expect-error request.passgate may be null
  app.get('/x', async (request) => request.passgate.ok);
  void fromDecorator;
  void seen;
}

// passgate/http: node:http, and a Next.js App Router route handler (a web Request).
const server = createServer(async (req, res) => {
  const outcome: Outcome = await verifyRequest(req, { verifier, action: 'login', limit: 65536 });
  const same: Outcome | null | undefined = req.passgate;
  if (!outcome.ok) {
    const answer: FailureAnswer = failureAnswer(req, outcome);
    res.writeHead(answer.status, answer.headers).end(answer.body);
    return;
  }
  res.end(String(same?.code));
});

export async function POST(request: Request): Promise<Response> {
  const form = await request.formData();
  const outcome = await verifyRequest(request, { verifier, body: form, clientIp: request.headers.get('x-real-ip') });
  if (!outcome.ok) {
    const answer = failureAnswer(request, outcome);
    return new Response(answer.body, answer);
  }
  // @ts-expect-error verifyRequest needs a verifier
  await verifyRequest(request, { action: 'login' });
  return Response.json({ ok: true, email: form.get('email') });
}

// doctor, metrics, onOutcome and the prom-client exporter.
async function observability(): Promise<string> {
  const report: DoctorReport = await doctor({ appKey: 'key', appSecret: 'secret', timeoutMs: 2000, logger: console });
  const failed: DoctorCheck[] = report.checks.filter((check) => check.status === 'fail');
  const text: string = report.text + String(report) + JSON.stringify(report.toJSON().checks[0]?.details[0]?.value);
  // @ts-expect-error doctor takes the Verifier's options
  await doctor({ appKey: 5 });
  const snapshot: MetricsSnapshot = metrics();
  const passed: number = snapshot.validations.find((row) => row.outcome === 'passed')?.count ?? 0;
  const seen: OutcomeCode[] = [];
  const watched = new Verifier({ mode: 'test', onOutcome: (outcome) => { seen.push(outcome.code); } });
  const asyncHook = new Verifier({ mode: 'test', onOutcome: async (outcome: Outcome) => outcome.ok });
  // @ts-expect-error onOutcome is a function
  new Verifier({ onOutcome: 'log' });
  const registry: Registry = registerPrometheus(new Registry());
  return text + failed.length + passed + metricsText() + String(watched) + String(asyncHook) + (await registry.metrics());
}

void main;
void observability;
void fastifyApp;
void server;
void widgetPage;
void template;
void route;
void errorHandler;
void view;
