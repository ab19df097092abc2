'use strict';
// passgate/express: verify the captcha before a route handler runs.

const { SAFE_METHODS, tokenFrom, preferredLanguage, failureAnswer } = require('./web.js');

/**
 * The error handed to `next(err)` with `passToNext: true`: an http-errors style
 * error (`status`, `statusCode`, `expose`) that also carries the outcome.
 */
class CaptchaError extends Error {
  constructor(outcome, message) {
    super(message);
    this.name = 'CaptchaError';
    this.status = outcome.httpStatus;
    this.statusCode = outcome.httpStatus;
    this.code = outcome.code;
    this.expose = true; // the message is meant for the user
    this.outcome = outcome;
  }
}

/**
 * @param {object} options
 * @param {import('./index').Verifier} options.verifier
 * @param {string} [options.action] the action the token must be solved for
 * @param {string} [options.field] body field holding the token (default: the
 *   provider's own, `verifier.formField`: captchala_token, g-recaptcha-response,
 *   h-captcha-response or cf-turnstile-response)
 * @param {string} [options.header] a request header to read the token from when the body has none
 * @param {string} [options.render] a view to re-render for HTML requests, with the locals
 *   `{ passgate: outcome, message, body: req.body || {} }` (default: a short page with a "go back" link)
 * @param {boolean} [options.passToNext] hand the failure to `next(err)` (a CaptchaError) instead of answering
 * @param {(req, res, outcome) => void} [options.onFailure] answer a failure yourself (wins over the above)
 */
function requireCaptcha(options) {
  const { verifier, action, header, render, passToNext, onFailure } = options || {};
  if (!verifier || typeof verifier.validate !== 'function') {
    throw new TypeError('passgate/express: requireCaptcha needs { verifier }');
  }
  if (render !== undefined && (typeof render !== 'string' || render === '')) {
    throw new TypeError('passgate/express: render must be a view name');
  }
  const field = options.field || verifier.formField || 'captchala_token';
  return async function passgateRequireCaptcha(req, res, next) {
    req.passgate = null;
    if (SAFE_METHODS.has(req.method)) return next();
    const token = tokenFrom(req.body, field, header ? req.get(header) : undefined);
    let outcome;
    try {
      outcome = await verifier.validate(token, { clientIp: req.ip, action });
    } catch (err) {
      return next(err); // a bug inside passgate: the error handler answers, the route never runs
    }
    req.passgate = outcome;
    if (outcome.ok) return next();
    if (onFailure) return onFailure(req, res, outcome);
    const lang = preferredLanguage(req.get('accept-language'));
    if (passToNext) return next(new CaptchaError(outcome, outcome.messageFor(lang)));
    const answer = failureAnswer(outcome, {
      accept: req.get('accept'), contentType: req.get('content-type'), requestedWith: req.get('x-requested-with'), lang,
    });
    if (render && !answer.json) {
      return res.status(answer.status).render(render, { passgate: outcome, message: answer.message, body: req.body || {} });
    }
    return res.status(answer.status).type(answer.contentType).send(answer.body);
  };
}

/**
 * `res.locals.passgateWidget(args)` for templates: the widget's HTML with the
 * request's CSP nonce (`res.locals.cspNonce`, or `options.nonce(req, res)`).
 * @param {object} options
 * @param {import('./index').Verifier} options.verifier
 * @param {(req, res) => string | undefined} [options.nonce]
 */
function widgetLocals(options) {
  const { verifier, nonce } = options || {};
  if (!verifier || typeof verifier.widget !== 'function') {
    throw new TypeError('passgate/express: widgetLocals needs { verifier }');
  }
  return function passgateWidgetLocals(req, res, next) {
    res.locals.passgateWidget = (args) => {
      const given = args || {};
      // An explicit `nonce: undefined` must not drop the request's nonce.
      const requestNonce = nonce ? nonce(req, res) : res.locals.cspNonce;
      return verifier.widget({ ...given, nonce: given.nonce ?? requestNonce });
    };
    next();
  };
}

/**
 * helmet's `contentSecurityPolicy.directives` with the widget's sources
 * added to `directives` (camelCase or kebab-case keys; a string or a list of
 * sources each; `null` drops a directive, as in helmet), and the request's
 * nonce (`res.locals.cspNonce`) in script-src. A directive the widget needs
 * that `directives` lacks starts from `default-src` (what the browser would
 * have used), so the app's own sources keep working. With helmet's
 * `useDefaults: true`, pass helmet's defaults in:
 * `cspDirectives(verifier, { ...helmet.contentSecurityPolicy.getDefaultDirectives(), ... })`.
 * @param {import('./index').Verifier} verifier
 * @param {Record<string, null | string | Iterable<string | Function>>} [directives]
 */
function cspDirectives(verifier, directives) {
  const kebab = (name) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const list = (sources) => (typeof sources === 'string' || typeof sources === 'function' ? [sources] : [...sources]);
  const merged = {};
  for (const [name, sources] of Object.entries(directives || {})) {
    merged[kebab(name)] = sources === null || typeof sources === 'symbol' ? sources : list(sources);
  }
  const fallback = Array.isArray(merged['default-src']) ? merged['default-src'] : ["'self'"];
  for (const [name, sources] of Object.entries(verifier.csp())) {
    const present = (Array.isArray(merged[name]) ? merged[name] : fallback).filter((s) => s !== "'none'");
    merged[name] = [...present, ...sources.filter((s) => !present.includes(s))];
  }
  merged['script-src'].push((req, res) => (res.locals.cspNonce ? `'nonce-${res.locals.cspNonce}'` : ''));
  return merged;
}

module.exports = { requireCaptcha, CaptchaError, widgetLocals, cspDirectives };
