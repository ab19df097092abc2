'use strict';
// passgate/express: verify the captcha before a route handler runs.

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * @param {object} options
 * @param {import('./index').Verifier} options.verifier
 * @param {string} [options.action] the action the token must be solved for
 * @param {string} [options.field] body field holding the token (default: the
 *   provider's own, `verifier.formField`: captchala_token, g-recaptcha-response,
 *   h-captcha-response or cf-turnstile-response)
 * @param {string} [options.header] a request header to read the token from when the body has none
 * @param {(req, res, outcome) => void} [options.onFailure] answer a failure yourself
 */
function requireCaptcha(options) {
  const { verifier, action, header, onFailure } = options || {};
  if (!verifier || typeof verifier.validate !== 'function') {
    throw new TypeError('passgate/express: requireCaptcha needs { verifier }');
  }
  const field = options.field || verifier.formField || 'captchala_token';
  return async function passgateRequireCaptcha(req, res, next) {
    req.passgate = null;
    if (SAFE_METHODS.has(req.method)) return next();
    let token = req.body && typeof req.body[field] === 'string' ? req.body[field] : undefined;
    if (token === undefined && header) {
      const value = req.get(header);
      token = typeof value === 'string' ? value : undefined;
    }
    let outcome;
    try {
      outcome = await verifier.validate(token, { clientIp: req.ip, action });
    } catch (err) {
      return next(err); // a bug inside passgate: the error handler answers, the route never runs
    }
    req.passgate = outcome;
    if (outcome.ok) return next();
    if (onFailure) return onFailure(req, res, outcome);
    const lang = (req.acceptsLanguages && req.acceptsLanguages()[0]) || 'en';
    res.status(outcome.httpStatus).json({ error: outcome.code, message: outcome.messageFor(lang) });
  };
}

module.exports = { requireCaptcha };
