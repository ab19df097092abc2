'use strict';
// passgate/fastify: a Fastify plugin (fastify-plugin style: not encapsulated,
// so `fastify.passgate` is seen everywhere) and a preHandler that verifies
// the captcha before a route handler runs.
//
//   fastify.register(require('@fastify/formbody'));
//   fastify.register(require('passgate/fastify'), { verifier });
//   fastify.post('/login', { preHandler: fastify.passgate.requireCaptcha({ action: 'login' }) }, handler);

const { SAFE_METHODS, tokenFrom, preferredLanguage, failureAnswer } = require('./web.js');

function checkVerifier(verifier, where) {
  if (!verifier || typeof verifier.validate !== 'function') {
    throw new TypeError(`passgate/fastify: ${where} needs { verifier }`);
  }
}

/**
 * A preHandler hook: reads the token from `request.body[field]` (a form parsed
 * by @fastify/formbody, or JSON) or from `header`, the client IP from
 * `request.ip` (set Fastify's `trustProxy` to match your proxies), sets
 * `request.passgate` to the outcome, and on failure answers `httpStatus` with
 * JSON `{error, message}` or the core's HTML page (or calls `onFailure`).
 * GET, HEAD, OPTIONS and TRACE pass through unverified.
 * @param {object} options
 * @param {import('./index').Verifier} options.verifier
 * @param {string} [options.action] the action the token must be solved for
 * @param {string} [options.field] body field with the token (default `verifier.formField`)
 * @param {string} [options.header] a request header to read the token from when the body has none
 * @param {(request, reply, outcome) => unknown} [options.onFailure] answer a failure yourself (it must send a reply)
 */
function requireCaptcha(options) {
  const { verifier, action, header, onFailure } = options || {};
  checkVerifier(verifier, 'requireCaptcha');
  if (onFailure !== undefined && typeof onFailure !== 'function') {
    throw new TypeError('passgate/fastify: onFailure must be a function');
  }
  const field = options.field || verifier.formField || 'captchala_token';
  const headerName = header ? String(header).toLowerCase() : null;
  return async function passgateRequireCaptcha(request, reply) {
    request.passgate = null;
    if (SAFE_METHODS.has(request.method)) return;
    const headers = request.headers;
    const token = tokenFrom(request.body, field, headerName ? headers[headerName] : undefined);
    // A rejection here (a bug inside passgate) goes to Fastify's error handler; the route never runs.
    const outcome = await verifier.validate(token, { clientIp: request.ip, action });
    request.passgate = outcome;
    if (outcome.ok) return;
    if (onFailure) {
      await onFailure(request, reply, outcome);
    } else {
      const answer = failureAnswer(outcome, {
        accept: headers.accept,
        contentType: headers['content-type'],
        requestedWith: headers['x-requested-with'],
        lang: preferredLanguage(headers['accept-language']),
      });
      reply.code(answer.status).type(answer.contentType).send(answer.body);
    }
    // Fastify's rule for an async hook that answers: return the reply, so the
    // chain waits for it to be sent and the route handler never runs.
    return reply;
  };
}

/**
 * The plugin: `fastify.register(passgate, { verifier, field, header, onFailure })`
 * decorates the instance with `fastify.passgate` (`verifier`, and
 * `requireCaptcha(options)` with the plugin's options as defaults) and
 * requests with `request.passgate` (null until requireCaptcha ran).
 */
async function passgate(fastify, options) {
  const { verifier, field, header, onFailure } = options || {};
  checkVerifier(verifier, 'the plugin');
  const defaults = { verifier, field, header, onFailure };
  fastify.decorate('passgate', Object.freeze({
    verifier,
    requireCaptcha: (routeOptions) => requireCaptcha({ ...defaults, ...dropUndefined(routeOptions) }),
  }));
  fastify.decorateRequest('passgate', null);
}

function dropUndefined(object) {
  return Object.fromEntries(Object.entries(object || {}).filter(([, value]) => value !== undefined));
}

// What fastify-plugin does, without the dependency: no encapsulation (the
// decorators reach the parent instance), a name, and the Fastify versions.
passgate[Symbol.for('skip-override')] = true;
passgate[Symbol.for('fastify.display-name')] = 'passgate';
passgate[Symbol.for('plugin-meta')] = { name: 'passgate', fastify: '4.x || 5.x' };

module.exports = passgate;
module.exports.default = passgate;
module.exports.passgate = passgate;
module.exports.requireCaptcha = requireCaptcha;
