'use strict';
// Shared by passgate/express, passgate/fastify and passgate/http: which
// methods pass unverified, where the token is read from, and the failure
// answer (status, JSON or the core's HTML page). Not a public entry point.

const native = require('./native.js').loadNative();

/** Methods the middleware lets through unverified (they must not change anything), from the core. */
const SAFE_METHODS = new Set(native.safeMethods());

/**
 * The token: `body[field]` when it is a string (a parsed form or JSON body;
 * a FormData or URLSearchParams when it holds exactly one string there),
 * else the header's value when it is a string, else undefined (missing_token).
 * An array or object in the field (`name[]=`, JSON) is no token.
 */
function tokenFrom(body, field, headerValue) {
  if (body && typeof body === 'object') {
    if (typeof body.getAll === 'function' && typeof body.get === 'function') {
      const values = body.getAll(field);
      if (values.length === 1 && typeof values[0] === 'string') return values[0];
    } else if (typeof body[field] === 'string') {
      return body[field];
    }
  }
  return typeof headerValue === 'string' ? headerValue : undefined;
}

/** The core's choice: the first tag of the highest quality (q=0 and `*` skipped), or 'en'. */
function preferredLanguage(header) {
  return native.preferredLanguage(typeof header === 'string' ? header : '');
}

/**
 * How to answer a failed outcome, by the core's rule (a JSON body, an
 * XMLHttpRequest, or an Accept naming JSON and not HTML get JSON
 * `{error, message}`; everything else the core's HTML page).
 * @param {import('./index').Outcome} outcome
 * @param {{accept?: string, contentType?: string, requestedWith?: string, lang?: string}} request
 * @returns {{status: number, json: boolean, message: string, contentType: string, body: string}}
 */
function failureAnswer(outcome, { accept, contentType, requestedWith, lang = 'en' }) {
  const message = outcome.messageFor(lang);
  const status = outcome.httpStatus;
  if (native.wantsJson(String(accept || ''), String(contentType || ''), String(requestedWith || ''))) {
    return {
      status, json: true, message,
      contentType: 'application/json; charset=utf-8',
      body: JSON.stringify({ error: outcome.code, message }),
    };
  }
  return { status, json: false, message, contentType: 'text/html; charset=utf-8', body: native.failurePage(message, lang) };
}

module.exports = { SAFE_METHODS, tokenFrom, preferredLanguage, failureAnswer };
