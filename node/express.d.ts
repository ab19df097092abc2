import type { Outcome, Verifier } from './index';

/** The parts of an Express request the middleware uses. */
export interface CaptchaRequest {
  method: string;
  ip?: string;
  body?: unknown;
  get(name: string): string | undefined;
  passgate?: Outcome | null;
}

export interface CaptchaResponse {
  status(code: number): { json(body: unknown): unknown };
}

export interface RequireCaptchaOptions<Req extends CaptchaRequest = CaptchaRequest, Res = CaptchaResponse> {
  verifier: Verifier;
  action?: string;
  /** Body field with the token; default: the provider's own (`verifier.formField`). */
  field?: string;
  /** A header to read the token from when the body has none. */
  header?: string;
  onFailure?: (req: Req, res: Res, outcome: Outcome) => unknown;
}

export declare function requireCaptcha<Req extends CaptchaRequest = CaptchaRequest, Res = CaptchaResponse>(
  options: RequireCaptchaOptions<Req, Res>,
): (req: Req, res: Res, next: (err?: unknown) => void) => Promise<void>;
