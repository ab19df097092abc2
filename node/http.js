'use strict';
// passgate/http: verify one request's captcha where there is no middleware —
// a node:http IncomingMessage, or a web Request (Next.js App Router route
// handlers and other fetch-style servers) — and answer a failure the way the
// Express and Fastify helpers do.

const { tokenFrom, preferredLanguage, failureAnswer: answerFor } = require('./web.js');

/** The most body verifyRequest reads itself, as Express's body parsers: 100 KiB. */
const DEFAULT_LIMIT = 100 * 1024;

const isWebRequest = (req) => Boolean(req && typeof req === 'object' && req.headers && typeof req.headers.get === 'function');
const isNodeRequest = (req) => Boolean(req && typeof req === 'object' && req.headers && typeof req.headers === 'object'
  && typeof req.on === 'function');

function headerOf(req, name) {
  if (isWebRequest(req)) return req.headers.get(name) ?? undefined;
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

function mediaType(contentType) {
  return String(contentType || '').split(';')[0].trim().toLowerCase();
}

// Only what can carry a form field is read; anything else is left to the app, unread.
function parsable(contentType) {
  const type = mediaType(contentType);
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data'
    || type === 'application/json' || type.endsWith('+json');
}

// A repeated field becomes an array (as querystring and Express's urlencoded parser do), so it is no token.
function formToObject(form) {
  const object = Object.create(null);
  for (const [name, value] of form) {
    if (!(name in object)) object[name] = value;
    else if (Array.isArray(object[name])) object[name].push(value);
    else object[name] = [object[name], value];
  }
  return object;
}

// JSON, urlencoded or multipart bytes → the parsed body, or undefined when it does not parse.
async function parseBody(bytes, contentType) {
  const type = mediaType(contentType);
  try {
    if (type === 'application/json' || type.endsWith('+json')) return JSON.parse(Buffer.from(bytes).toString('utf8'));
    return formToObject(await new Response(bytes, { headers: { 'content-type': String(contentType) } }).formData());
  } catch {
    return undefined;
  }
}

// At most `limit` bytes of a node:http request; null when it is larger or the client went away.
// Past the limit the rest is drained unread, so the app can still answer on the connection.
function readNodeStream(req, limit) {
  return new Promise((resolve) => {
    if (Number(req.headers['content-length']) > limit) {
      req.resume();
      resolve(null);
      return;
    }
    const chunks = [];
    let size = 0;
    const finish = (value) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onGone);
      req.off('close', onGone);
      resolve(value);
    };
    function onData(chunk) {
      size += chunk.length;
      if (size > limit) {
        finish(null);
        req.resume();
        return;
      }
      chunks.push(chunk);
    }
    function onEnd() { finish(Buffer.concat(chunks)); }
    function onGone() { finish(null); }
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onGone);
    req.on('close', onGone);
  });
}

async function nodeBody(req, limit) {
  // A framework parsed it already (Next.js Pages Router API routes, connect-style body parsers).
  if (req.body !== undefined) return req.body;
  const contentType = req.headers['content-type'];
  if (!parsable(contentType)) return undefined;
  if (req.readableEnded || req.destroyed) {
    throw new TypeError('passgate/http: the request body was already read; pass the parsed body as { body }');
  }
  const bytes = await readNodeStream(req, limit);
  const body = bytes === null ? undefined : await parseBody(bytes, contentType);
  // The stream is used up: the app reads the form from req.body, as with a body parser.
  req.body = body === undefined ? Object.create(null) : body;
  return body;
}

// Reads a clone, so the route handler can still call request.formData() / json() itself.
async function webBody(request, limit) {
  const contentType = request.headers.get('content-type');
  if (!parsable(contentType) || request.body === null) return undefined;
  if (request.bodyUsed) {
    throw new TypeError('passgate/http: the request body was already read; pass the parsed body (or its FormData) as { body }');
  }
  if (Number(request.headers.get('content-length')) > limit) return undefined;
  const reader = request.clone().body.getReader();
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.cancel().catch(() => {});
        return undefined;
      }
      chunks.push(value);
    }
  } catch {
    return undefined; // the client went away
  }
  return parseBody(Buffer.concat(chunks), contentType);
}

/**
 * Verify the captcha of one request. Resolves with the Outcome (branch on
 * `ok`); never rejects for a bad token, a failing upstream or a bad body.
 *
 * The token comes from `body[field]` (default field: `verifier.formField`),
 * else from `header` when named. The body is `options.body` when given (an
 * object, a FormData or URLSearchParams); else, for node:http, `req.body` when
 * a framework set it, else verifyRequest reads a JSON, urlencoded or multipart
 * body of at most `limit` bytes itself and sets `req.body` (other types are
 * left unread); for a web Request it reads a clone, the request stays unread.
 * A body over the limit or that does not parse holds no token (missing_token).
 *
 * The client IP is `clientIp` when given (null: none); else, for node:http,
 * `req.socket.remoteAddress` — behind a proxy, pass `clientIp` yourself. A web
 * Request carries no IP: pass `clientIp`.
 * @param {import('node:http').IncomingMessage | Request} req
 * @param {object} options
 * @param {import('./index').Verifier} options.verifier
 * @param {string} [options.action] @param {string} [options.uid]
 * @param {string} [options.field] @param {string} [options.header]
 * @param {unknown} [options.body] @param {string | null} [options.clientIp]
 * @param {number} [options.limit] bytes, default 100 KiB
 * @returns {Promise<import('./index').Outcome>}
 */
async function verifyRequest(req, options) {
  const { verifier, action, uid, header, clientIp, limit = DEFAULT_LIMIT } = options || {};
  if (!verifier || typeof verifier.validate !== 'function') {
    throw new TypeError('passgate/http: verifyRequest needs { verifier }');
  }
  if (!Number.isSafeInteger(limit) || limit < 0) throw new TypeError('passgate/http: limit must be a number of bytes');
  const web = isWebRequest(req);
  if (!web && !isNodeRequest(req)) {
    throw new TypeError('passgate/http: verifyRequest needs a node:http IncomingMessage or a web Request');
  }
  const field = options.field || verifier.formField || 'captchala_token';
  let body = options.body;
  if (body === undefined) body = web ? await webBody(req, limit) : await nodeBody(req, limit);
  const token = tokenFrom(body, field, header ? headerOf(req, header) : undefined);
  const ip = clientIp !== undefined ? clientIp : (web ? null : req.socket && req.socket.remoteAddress);
  const outcome = await verifier.validate(token, { clientIp: ip ?? null, action, uid });
  if (!web) req.passgate = outcome;
  return outcome;
}

/**
 * How to answer a failed outcome, as the Express and Fastify helpers do:
 * `{ status, headers, body }` with JSON `{error, message}` or the core's HTML
 * page (by the request's Accept, Content-Type and X-Requested-With), in the
 * request's Accept-Language. node:http: `res.writeHead(a.status, a.headers).end(a.body)`;
 * a web Response: `new Response(a.body, a)`.
 * @param {import('node:http').IncomingMessage | Request} req
 * @param {import('./index').Outcome} outcome a failed one
 */
function failureAnswer(req, outcome) {
  if (!outcome || typeof outcome.messageFor !== 'function' || outcome.ok) {
    throw new TypeError('passgate/http: failureAnswer needs a failed Outcome');
  }
  const answer = answerFor(outcome, {
    accept: headerOf(req, 'accept'),
    contentType: headerOf(req, 'content-type'),
    requestedWith: headerOf(req, 'x-requested-with'),
    lang: preferredLanguage(headerOf(req, 'accept-language')),
  });
  return { status: answer.status, headers: { 'content-type': answer.contentType }, body: answer.body };
}

module.exports = { verifyRequest, failureAnswer };
