// Type declarations for the passgate npm package (kept by hand).

export type OutcomeCode =
  | 'passed'
  | 'missing_token'
  | 'malformed_token'
  | 'replayed'
  | 'expired'
  | 'action_mismatch'
  | 'uid_mismatch'
  | 'ip_mismatch'
  | 'hostname_mismatch'
  | 'score_too_low'
  | 'rejected'
  | 'unverifiable'
  | 'degraded'
  | 'rate_limited'
  | 'misconfigured'
  | 'upstream_unavailable'
  | 'store_unavailable';

export type Category = 'passed' | 'client' | 'upstream' | 'config' | 'store';
export type TokenType = 'pt' | 'offline' | 'dg' | 'co' | 'client' | 'sct' | 'unknown' | 'opaque';
export type Provider = 'captchala' | 'recaptcha' | 'hcaptcha' | 'turnstile';

/** The structured log record: the same snake_case keys in every language. */
export interface LogFields {
  readonly event: 'passgate.validate';
  readonly outcome: OutcomeCode;
  readonly ok: boolean;
  readonly category: Category;
  readonly provider: Provider;
  readonly environment: string;
  readonly action: string | null;
  readonly token_present: boolean;
  readonly token_type: TokenType | null;
  readonly token_fingerprint: string | null;
  readonly token_age_ms: number | null;
  readonly client_ip: string | null;
  readonly upstream_called: boolean;
  readonly upstream_status: number | null;
  readonly upstream_error: string | null;
  readonly upstream_latency_ms: number | null;
  readonly latency_ms: number;
  readonly attempts: number;
  readonly replay_store: 'memory' | 'redis' | 'none';
  /** Live claims the memory store evicted early because it was full; null for other stores. */
  readonly replay_evictions: number | null;
  readonly challenge_id: string | null;
  readonly risk_score: number | null;
  /** The page's host name as the provider reports it (reCAPTCHA, hCaptcha, Turnstile). */
  readonly hostname: string | null;
  /** The provider's score as sent (reCAPTCHA: 1.0 = human; hCaptcha Enterprise: higher = riskier). */
  readonly score: number | null;
  readonly policy: 'allow_client_only' | 'allow_degraded' | 'fail_open_on_store_error' | null;
}

export interface CaptchaArgs {
  readonly platform: string | null;
  readonly userIp: string | null;
  readonly referer: string | null;
  readonly pkg: string | null;
  readonly solvedAt: number | null;
  readonly riskScore: number | null;
}

export declare class Outcome {
  private constructor();
  readonly ok: boolean;
  readonly code: OutcomeCode;
  readonly category: Category;
  readonly retryable: boolean;
  readonly httpStatus: number;
  /** A short user-safe English sentence. */
  readonly message: string;
  readonly provider: Provider;
  readonly upstreamError: string | null;
  readonly tokenType: TokenType | null;
  readonly tokenAgeMs: number | null;
  readonly challengeId: string | null;
  /** The action the token was solved for, as the upstream reports it. */
  readonly action: string | null;
  readonly uid: string | null;
  readonly riskScore: number | null;
  /** The page's host name, from reCAPTCHA, hCaptcha and Turnstile. */
  readonly hostname: string | null;
  /** The provider's score as sent (reCAPTCHA: 1.0 = human; hCaptcha Enterprise: higher = riskier). */
  readonly score: number | null;
  /** Turnstile's customer data, as the page set it. */
  readonly cdata: string | null;
  readonly captchaArgs: CaptchaArgs | null;
  readonly logFields: LogFields;
  /** A one-line summary for text logs. */
  readonly logMessage: string;
  /** The user-safe message in a language (en, zh-CN, zh-TW, ja, ko, es, fr, de; others fall back). */
  messageFor(lang: string): string;
}

/** pino/winston style: `info(obj, msg)` and `warn(obj, msg)`; `error` (else `warn`) when onOutcome throws. */
export interface Logger {
  info(obj: LogFields, msg: string): unknown;
  warn(obj: LogFields | OnOutcomeErrorFields, msg: string): unknown;
  error?(obj: OnOutcomeErrorFields, msg: string): unknown;
}

/** The record logged when the onOutcome callback throws or its promise rejects (the outcome is still returned). */
export interface OnOutcomeErrorFields {
  readonly event: 'passgate.on_outcome_error';
  readonly outcome: OutcomeCode;
  readonly provider: Provider;
  /** The thrown value's class (`TypeError`), or its type when it is no Error. */
  readonly error_class: string;
  readonly error_message: string;
}

/** Every option of the core's option table, camelCased (checked by a test). */
export interface VerifierOptions {
  provider?: Provider;
  appKey?: string;
  appSecret?: string;
  secretKey?: string;
  siteKey?: string;
  environment?: string;
  apiBase?: string;
  scriptUrl?: string;
  backupApiBase?: string;
  expectedHostnames?: string[];
  minScore?: number;
  maxRiskScore?: number;
  /** 'memory' (default), 'none', or a redis:// (rediss:// for TLS) URL. */
  replayStore?: string;
  /** Redis key prefix, default 'passgate:replay:'. */
  redisKeyPrefix?: string;
  /** Bound on each Redis call, default 500. */
  storeTimeoutMs?: number;
  timeoutMs?: number;
  maxTokenAgeS?: number;
  clockSkewS?: number;
  mode?: 'live' | 'test';
  caFile?: string;
  maxEntries?: number;
  allowClientOnly?: boolean;
  allowDegraded?: boolean;
  failOpenOnStoreError?: boolean;
  logger?: Logger;
  /**
   * Called once per validation with its Outcome, after the log record (metrics, audit).
   * A throw, or a rejection of the promise it returns, is logged and swallowed.
   */
  onOutcome?: (outcome: Outcome) => unknown;
}

export interface ValidateOptions {
  clientIp?: string | null;
  /** The action this form expects the token to be solved for. */
  action?: string | null;
  uid?: string | null;
  keepToken?: boolean;
}

export interface WidgetArgs {
  /** The action the token is solved for (Turnstile, CaptchaLa); validate with the same one. */
  action?: string | null;
  /** The page's CSP nonce, put on the bootstrap script. */
  nonce?: string | null;
  /** Turnstile's cdata. */
  cdata?: string | null;
  /** CaptchaLa: a server token from issueServerToken. */
  serverToken?: string | null;
  /** Language of the load-failure hint (en, zh-CN, zh-TW, ja, ko, es, fr, de). */
  lang?: string | null;
}

export interface IssueOptions {
  bindingIp?: string;
  ttl?: number;
  maxUses?: number;
  bindUid?: string;
}

export interface ServerToken {
  serverToken: string;
  expiresIn: number | null;
  issuedAt: number | null;
}

export declare class Verifier {
  /** @throws PassgateError with code 'PASSGATE_CONFIG' naming the bad setting. */
  constructor(options?: VerifierOptions);
  static fromEnv(options?: { logger?: Logger; onOutcome?: (outcome: Outcome) => unknown }): Verifier;
  /** Never rejects for a bad token or a failing upstream: see `Outcome.code`. */
  validate(token: string | null | undefined, options?: ValidateOptions): Promise<Outcome>;
  /** Blocks the thread: for scripts, not servers. */
  validateSync(token: string | null | undefined, options?: ValidateOptions): Outcome;
  /** @throws PassgateError with code 'PASSGATE_ISSUE' (and `outcome`, `upstreamError`) when refused. */
  issueServerToken(action: string, options?: IssueOptions): Promise<ServerToken>;
  /**
   * The widget's HTML for one form (container, load-failure hint, bootstrap script).
   * @throws PassgateError with code 'PASSGATE_CONFIG' naming a bad argument or a missing siteKey.
   */
  widget(args?: WidgetArgs): string;
  /** Sources per CSP directive the widget needs (script-src includes the bootstrap's hash). */
  csp(): Record<string, string[]>;
  readonly provider: Provider;
  /** The form field the provider's widget posts the token in. */
  readonly formField: string;
  toJSON(): {
    provider: Provider;
    /** CaptchaLa only. */
    appKey?: string;
    /** Other providers, when set. */
    siteKey?: string;
    environment: string;
    mode: 'live' | 'test';
    apiBase: string;
    replayStore: string;
    formField: string;
  };
}

export declare class PassgateError extends Error {
  readonly code: 'PASSGATE_CONFIG' | 'PASSGATE_INTERNAL' | 'PASSGATE_ISSUE';
  /** With PASSGATE_ISSUE: the outcome-style code of the failure. */
  readonly outcome?: OutcomeCode;
  readonly upstreamError?: string | null;
  readonly upstreamStatus?: number | null;
}

export declare const LOG_KEYS: readonly (keyof LogFields)[];
export declare const OUTCOME_CODES: readonly OutcomeCode[];
export declare const OUTCOME_FIELDS: readonly string[];
export declare const OPTION_NAMES: readonly string[];

/** One of doctor's checks: configuration, connection, keys, clock, replay_store. */
export interface DoctorCheck {
  readonly name: 'configuration' | 'connection' | 'keys' | 'clock' | 'replay_store';
  readonly status: 'pass' | 'warn' | 'fail' | 'skip';
  readonly summary: string;
  /** One line on what to change, when there is something to change. */
  readonly advice: string | null;
  /** Safe to print: secrets show as `******** (set)`; each setting says where it came from (`[argument]`, `[environment VAR]`). */
  readonly details: readonly { readonly name: string; readonly value: string }[];
}

export declare class DoctorReport {
  private constructor();
  /** No check failed (warnings do not fail). */
  readonly ok: boolean;
  /** The human table, as `passgate doctor` prints it. */
  readonly text: string;
  readonly checks: readonly DoctorCheck[];
  /** The text. */
  toString(): string;
  /** `{ok, checks}`, as `passgate doctor --json` prints it. */
  toJSON(): { ok: boolean; checks: readonly DoctorCheck[] };
}

/**
 * The deployment checks for options as the Verifier takes them (logger and onOutcome are ignored),
 * the rest from the environment. Off the event loop.
 * @throws PassgateError with code 'PASSGATE_CONFIG' for an unknown option or a value of the wrong type.
 */
export declare function doctor(options?: VerifierOptions): Promise<DoctorReport>;

/** A histogram as the core keeps it: cumulative buckets (`le` as Prometheus spells it, `+Inf` last). */
export interface HistogramSnapshot {
  readonly buckets: readonly { readonly le: string; readonly count: number }[];
  readonly count: number;
  /** Seconds. */
  readonly sum: number;
}

/** This process's counters (snake_case keys, the same in every language); only series that counted something. */
export interface MetricsSnapshot {
  readonly validations: readonly { readonly provider: Provider; readonly outcome: OutcomeCode; readonly count: number }[];
  readonly validation_latency: readonly { readonly provider: Provider; readonly duration_seconds: HistogramSnapshot }[];
  readonly upstream: readonly {
    readonly provider: Provider;
    readonly calls: number;
    readonly retries: number;
    readonly duration_seconds: HistogramSnapshot;
  }[];
  readonly replay_store_errors: readonly { readonly store: 'memory' | 'redis'; readonly count: number }[];
  readonly replay_live_evictions: number;
  /** Claims held by this process's memory stores, and their summed maxEntries. */
  readonly replay_memory_entries: number;
  readonly replay_memory_capacity: number;
  readonly latency_buckets_s: readonly number[];
}

/** Every validation through any Verifier in this process, counted by provider and outcome, with latency histograms. */
export declare function metrics(): MetricsSnapshot;
/** The same in Prometheus text exposition format (0.0.4), names prefixed `passgate_`. */
export declare function metricsText(): string;
