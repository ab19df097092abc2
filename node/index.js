'use strict';
// passgate: server-side CAPTCHA verification with stable outcome codes.
// The decisions are made in the Rust core (./passgate.node); this file checks
// argument types, turns native results into Outcome objects and errors, and
// hands each log record to the `logger` option.

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
  const { logger, ...rest } = options;
  if (logger !== undefined && logger !== null &&
      (typeof logger !== 'object' && typeof logger !== 'function' ||
       typeof logger.info !== 'function' || typeof logger.warn !== 'function')) {
    throw new PassgateError('PASSGATE_CONFIG', 'passgate config: logger: must have info(obj, msg) and warn(obj, msg) methods');
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
  return [plain, logger ?? undefined];
}

class Verifier {
  #native;
  #logger;

  /**
   * @param {object} [options] every name in OPTION_NAMES (the option table,
   *   camelCased: provider, appKey, appSecret, secretKey, timeoutMs, …; typed in
   *   index.d.ts), plus `logger`. Anything not given is read from the
   *   environment (PASSGATE_PROVIDER, CAPTCHALA_APP_KEY, PASSGATE_SECRET_KEY,
   *   PASSGATE_*).
   */
  constructor(options) {
    const [plain, logger] = verifierOptions(options);
    try {
      this.#native = new native.NativeVerifier(plain);
    } catch (err) {
      rethrow(err);
    }
    this.#logger = logger;
  }

  /** Everything from the environment; `options` may still carry a logger. */
  static fromEnv(options) {
    const logger = options && options.logger;
    return new Verifier(logger ? { logger } : undefined);
  }

  /** Validate a token. Resolves with an Outcome; rejects only on a bug (PASSGATE_INTERNAL). */
  async validate(token, options) {
    const checked = checkToken(token);
    const fields = checkFields('options', options, VALIDATE_FIELDS);
    const outcome = new Outcome(unwrap(await this.#native.validate(checked, fields)));
    this.#log(outcome);
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

  [util.inspect.custom](depth, options, inspect) {
    return `Verifier ${(inspect || util.inspect)(this.#native.describe(), options)}`;
  }

  toJSON() {
    return this.#native.describe();
  }
}

module.exports = { Verifier, Outcome, PassgateError, LOG_KEYS, OUTCOME_CODES, OUTCOME_FIELDS, OPTION_NAMES };
