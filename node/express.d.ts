import type { Outcome, OutcomeCode, Verifier } from './index';

declare global {
  namespace Express {
    /** Set by requireCaptcha: the outcome, or null on GET/HEAD/OPTIONS/TRACE (and before it runs). */
    interface Request {
      passgate?: Outcome | null;
    }
    interface Locals {
      /** Set by widgetLocals: the widget's HTML with the request's CSP nonce. */
      passgateWidget?: (args?: import('./index').WidgetArgs) => string;
    }
  }
}

/** The parts of an Express request the middleware uses. */
export interface CaptchaRequest {
  method: string;
  ip?: string;
  body?: unknown;
  get(name: string): string | undefined;
  passgate?: Outcome | null;
}

/** The parts of an Express response the middleware uses. */
export interface CaptchaResponse {
  status(code: number): {
    json(body: unknown): unknown;
    render(view: string, locals?: object): unknown;
    type(type: string): { send(body: string): unknown };
  };
}

/** The locals a `render` view receives. */
export interface CaptchaRenderLocals {
  passgate: Outcome;
  /** The outcome's message in the request's language. */
  message: string;
  /** The parsed request body (`{}` when none), to fill the form in again. */
  body: any;
}

/** What `next(err)` receives with `passToNext: true`. */
export declare class CaptchaError extends Error {
  readonly name: 'CaptchaError';
  /** outcome.httpStatus */
  readonly status: number;
  readonly statusCode: number;
  readonly code: OutcomeCode;
  readonly expose: true;
  readonly outcome: Outcome;
}

export interface RequireCaptchaOptions<Req extends CaptchaRequest = CaptchaRequest, Res = CaptchaResponse> {
  verifier: Verifier;
  action?: string;
  /** Body field with the token; default: the provider's own (`verifier.formField`). */
  field?: string;
  /** A header to read the token from when the body has none. */
  header?: string;
  /** A view re-rendered for HTML requests, with CaptchaRenderLocals; default: a short page with a "go back" link. */
  render?: string;
  /** Call `next(err)` with a CaptchaError instead of answering. */
  passToNext?: boolean;
  /** Answer a failure yourself; wins over `render` and `passToNext`. */
  onFailure?: (req: Req, res: Res, outcome: Outcome) => unknown;
}

export declare function requireCaptcha<Req extends CaptchaRequest = CaptchaRequest, Res = CaptchaResponse>(
  options: RequireCaptchaOptions<Req, Res>,
): (req: Req, res: Res, next: (err?: unknown) => void) => Promise<void>;

/** Sets `res.locals.passgateWidget(args)`, the widget's HTML with the request's CSP nonce. */
export declare function widgetLocals(options: {
  verifier: Verifier;
  /** Default: `res.locals.cspNonce`. */
  nonce?: (req: any, res: any) => string | undefined;
}): (req: any, res: { locals: Record<string, any> }, next: () => void) => void;

/** helmet's `contentSecurityPolicy.directives` with the widget's sources and the request's nonce added. */
export declare function cspDirectives(
  verifier: Verifier,
  /** camelCase or kebab-case; a source list or one string; null drops the directive (as in helmet). */
  directives?: Record<string, null | string | Iterable<string | ((req: any, res: any) => string)>>,
): Record<string, null | Array<string | ((req: any, res: any) => string)>>;
