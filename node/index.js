'use strict';
// passgate: server-side CAPTCHA verification with stable outcome codes.
// The decisions are made in the Rust core (./passgate.node); this file checks
// argument types, turns native results into Outcome objects and errors,
// hands each log record to the `logger` option and each outcome to
// `onOutcome`, and exposes the core's doctor and metrics.

const util = require('node:util');
const native = require('./native.js').loadNative();

const LOG_KEYS = Object.freeze(native.logKeys());
const OUTCOME_CODES = Object.freeze(native.outcomeCodes());
const OUTCOME_FIELDS = Object.freeze(native.outcomeFields());
const OPTION_NAMES = Object.freeze(native.optionNames());

/** Errors thrown by passgate carry `code`: PASSGATE_CONFIG, PASSGATE_INTERNAL or PASSGATE_ISSUE. */
class PassgateError extends Error {
  constructor(code, message, details) {
    super(message);
    this.name = 'PassgateError';
    this.code = code;
    if (details) Object.assign(this, details);
  }
}

// The one place native failures become JS errors: sync calls throw with a
// PASSGATE_* code, async calls resolve to {value} or {error}.
function rethrow(err) {
  if (err && typeof err.code === 'string' && err.code.startsWith('PASSGATE_')) {
    throw new PassgateError(err.code, err.message);
  }
  throw err;
}
function unwrap(settled) {
  if (settled.error) {
    const { code, message, ...details } = settled.error;
    throw new PassgateError(code, message, details);
  }
  return settled.value;
}

class Outcome {
  constructor(data) {
    Object.assign(this, data);
    Object.freeze(this.logFields);
    Object.freeze(this);
  }

  /** The user-safe message in `lang` (en, zh-CN, zh-TW, ja, ko, es, fr, de; others fall back). */
  messageFor(lang) {
    return native.messageFor(this.code, String(lang ?? 'en')) ?? this.message;
  }
}

function checkToken(token) {
  if (token === undefined || token === null) return null;
  if (typeof token !== 'string') {
    throw new TypeError(`passgate: token must be a string, null or undefined, not ${token === null ? 'null' : typeof token}`);
  }
  return token;
}

function checkFields(what, options, names) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`passgate: ${what} must be an object`);
  }
  const picked = {};
  for (const [name, type] of names) {
    const value = options[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== type) throw new TypeError(`passgate: ${what}.${name} must be a ${type}`);
    picked[name] = value;
  }
  return picked;
}

const VALIDATE_FIELDS = [['clientIp', 'string'], ['action', 'string'], ['uid', 'string'], ['keepToken', 'boolean']];
const ISSUE_FIELDS = [['bindingIp', 'string'], ['ttl', 'number'], ['maxUses', 'number'], ['bindUid', 'string']];

function verifierOptions(options) {
  if (options === undefined || options === null) return [{}, undefined];
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new PassgateError('PASSGATE_CONFIG', 'passgate config: options: must be an object');
  }
  const { logger, onOutcome, ...rest } = options;
  if (logger !== undefined && logger !== null &&
      (typeof logger !== 'object' && typeof logger !== 'function' ||
       typeof logger.info !== 'function' || typeof logger.warn !== 'function')) {
    throw new PassgateError('PASSGATE_CONFIG', 'passgate config: logger: must have info(obj, msg) and warn(obj, msg) methods');
  }
  if (onOutcome !== undefined && onOutcome !== null && typeof onOutcome !== 'function') {
    throw new PassgateError('PASSGATE_CONFIG', 'passgate config: onOutcome (on_outcome): must be a function called with each Outcome');
  }
  const plain = {};
  for (const [name, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    const list = Array.isArray(value) && value.every((item) => typeof item === 'string');
    if (value !== null && !list && !['string', 'number', 'boolean'].includes(typeof value)) {
      throw new PassgateError('PASSGATE_CONFIG', `passgate config: ${name}: expected a string, number, boolean, array of strings or null`);
    }
    plain[name] = value;
  }
  return [plain, logger ?? undefined, onOutcome ?? undefined];
}

/** What a thrown value is called in a log record: its class (`TypeError`), else its type. */
function errorClass(err) {
  if (err instanceof Error) return (err.constructor && err.constructor.name) || err.name || 'Error';
  return err === null ? 'null' : typeof err;
}

function errorMessage(err) {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return '(no message)';
  }
}

class Verifier {
  #native;
  #logger;
  #onOutcome;

  /**
   * @param {object} [options] every name in OPTION_NAMES (the option table,
   *   camelCased: provider, appKey, appSecret, secretKey, timeoutMs, …; typed in
   *   index.d.ts), plus `logger` and `onOutcome` (called with every Outcome,
   *   after the log record). Anything not given is read from the
   *   environment (PASSGATE_PROVIDER, CAPTCHALA_APP_KEY, PASSGATE_SECRET_KEY,
   *   PASSGATE_*).
   */
  constructor(options) {
    const [plain, logger, onOutcome] = verifierOptions(options);
    try {
      this.#native = new native.NativeVerifier(plain);
    } catch (err) {
      rethrow(err);
    }
    this.#logger = logger;
    this.#onOutcome = onOutcome;
  }

  /** Everything from the environment; `options` may still carry a logger and onOutcome. */
  static fromEnv(options) {
    const { logger, onOutcome } = options || {};
    return new Verifier({ logger, onOutcome });
  }

  /** Validate a token. Resolves with an Outcome; rejects only on a bug (PASSGATE_INTERNAL). */
  async validate(token, options) {
    const checked = checkToken(token);
    const fields = checkFields('options', options, VALIDATE_FIELDS);
    const outcome = new Outcome(unwrap(JSON.parse(await this.#native.validate(checked, fields))));
    this.#log(outcome);
    this.#notify(outcome);
    return outcome;
  }

  /** `validate` that blocks the thread until the answer is in: for scripts only. */
  validateSync(token, options) {
    const checked = checkToken(token);
    const fields = checkFields('options', options, VALIDATE_FIELDS);
    let data;
    try {
      data = this.#native.validateSync(checked, fields);
    } catch (err) {
      rethrow(err);
    }
    const outcome = new Outcome(data);
    this.#log(outcome);
    this.#notify(outcome);
    return outcome;
  }

  /**
   * The widget's HTML for one form: `{action, nonce, cdata, serverToken, lang}`.
   * The bootstrap script's hash is in `csp()`, so no 'unsafe-inline' is needed.
   * @throws PassgateError with code 'PASSGATE_CONFIG' naming a bad argument.
   */
  widget(args) {
    try {
      return this.#native.widget(args === undefined ? null : args);
    } catch (err) {
      rethrow(err);
    }
  }

  /** `{'script-src': [...], 'frame-src': [...], ...}`: the sources the widget needs in the page's CSP. */
  csp() {
    return this.#native.csp();
  }

  /** `captchala`, `recaptcha`, `hcaptcha` or `turnstile`. */
  get provider() {
    return this.#native.describe().provider;
  }

  /** The form field the provider's widget posts the token in (`cf-turnstile-response`, …). */
  get formField() {
    return this.#native.describe().formField;
  }

  /** Issue a server token (sct_…) for the widget (CaptchaLa only). Rejects with code PASSGATE_ISSUE when refused. */
  async issueServerToken(action, options) {
    if (typeof action !== 'string') throw new TypeError('passgate: action must be a string');
    const fields = checkFields('options', options, ISSUE_FIELDS);
    return unwrap(await this.#native.issueServerToken(action, fields));
  }

  #log(outcome) {
    const logger = this.#logger;
    if (!logger) return;
    const method = outcome.ok ? logger.info : logger.warn;
    method.call(logger, outcome.logFields, outcome.logMessage);
  }

  // The callback must not change the answer: a throw (or a rejected promise
  // it returns) is logged and swallowed.
  #notify(outcome) {
    const onOutcome = this.#onOutcome;
    if (!onOutcome) return;
    try {
      const returned = onOutcome(outcome);
      if (returned && typeof returned.then === 'function') {
        returned.then(undefined, (err) => this.#callbackFailed(err, outcome));
      }
    } catch (err) {
      this.#callbackFailed(err, outcome);
    }
  }

  // To the logger's error (else warn) method; with no logger, a process
  // warning. The class and message of what was thrown, never the token.
  #callbackFailed(err, outcome) {
    const kind = errorClass(err);
    const message = errorMessage(err);
    const fields = {
      event: 'passgate.on_outcome_error',
      outcome: outcome.code,
      provider: outcome.provider,
      error_class: kind,
      error_message: message,
    };
    const text = `passgate: onOutcome threw ${kind}: ${message} (the ${outcome.code} outcome was returned as usual)`;
    const logger = this.#logger;
    try {
      if (!logger) {
        process.emitWarning(text, { code: 'PASSGATE_ON_OUTCOME' });
      } else {
        (typeof logger.error === 'function' ? logger.error : logger.warn).call(logger, fields, text);
      }
    } catch {
      // A logger that throws must not fail the validation either.
    }
  }

  [util.inspect.custom](depth, options, inspect) {
    return `Verifier ${(inspect || util.inspect)(this.#native.describe(), options)}`;
  }

  toJSON() {
    return this.#native.describe();
  }
}

/** What `doctor` found: `ok` (no check failed; warnings pass), the human `text` table, and each check. */
class DoctorReport {
  constructor({ ok, text, checks }) {
    this.ok = ok;
    this.text = text;
    this.checks = checks.map((check) => Object.freeze({ ...check, details: Object.freeze(check.details.map(Object.freeze)) }));
    Object.freeze(this.checks);
    Object.freeze(this);
  }

  toString() {
    return this.text;
  }

  /** `{ok, checks}`: what `passgate doctor --json` prints. */
  toJSON() {
    return { ok: this.ok, checks: this.checks };
  }
}

/**
 * The core's deployment checks (configuration, connection, keys, clock,
 * replay store) for `options` as the Verifier takes them, the rest from the
 * environment. Runs off the event loop; resolves with a DoctorReport, whose
 * text and checks never hold a secret or token.
 * @throws PassgateError with code 'PASSGATE_CONFIG' for an unknown option or a value of the wrong type.
 */
async function doctor(options) {
  const [plain] = verifierOptions(options);
  let task;
  try {
    task = native.doctor(plain);
  } catch (err) {
    rethrow(err);
  }
  return new DoctorReport(unwrap(JSON.parse(await task)));
}

/** This process's counters and latency histograms, every Verifier's validations (the core's snake_case shape). */
function metrics() {
  return native.metrics();
}

/** The same counters in Prometheus text exposition format (0.0.4), names prefixed `passgate_`. */
function metricsText() {
  return native.metricsText();
}

module.exports = {
  Verifier, Outcome, PassgateError, DoctorReport, doctor, metrics, metricsText,
  LOG_KEYS, OUTCOME_CODES, OUTCOME_FIELDS, OPTION_NAMES,
};
