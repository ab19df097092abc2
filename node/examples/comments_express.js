'use strict';
// A comment form protected by passgate, in Express: the widget through
// res.locals.passgateWidget, helmet sending a strict Content-Security-Policy
// (a nonce, no 'unsafe-inline') with the widget's sources merged in, and the
// form re-rendered with what the user typed when the check fails.
// Configured from the environment (PASSGATE_*); run with
// `PORT=8000 node comments_express.js`. The browser suite (tests/browser)
// walks through it.

const crypto = require('node:crypto');
const path = require('node:path');
const express = require('express');
const helmet = require('helmet');

const packageDir = process.env.PASSGATE_NODE_PACKAGE || path.join(__dirname, '..');
const { Verifier } = require(packageDir);
const { requireCaptcha, widgetLocals, cspDirectives } = require(path.join(packageDir, 'express'));

const verifier = Verifier.fromEnv();
const action = process.env.COMMENT_ACTION === undefined ? 'comment' : (process.env.COMMENT_ACTION || undefined);
const app = express();

app.use((req, res, next) => {
  res.locals.cspNonce = crypto.randomBytes(16).toString('base64');
  next();
});
app.use(helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: cspDirectives(verifier, {
      defaultSrc: ["'self'"], scriptSrc: [], objectSrc: ["'none'"], baseUri: ["'none'"],
    }),
  },
}));
app.use(widgetLocals({ verifier }));
app.use(express.urlencoded({ extended: false }));

const escape = (text) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(res, { outcome, message, body = {} } = {}) {
  const error = outcome
    ? `<p id="error" role="alert" data-code="${escape(outcome.code)}">${escape(message)}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Comments (Express)</title></head>
<body><h1>Leave a comment</h1>
${error}
<form method="post" action="/">
<p><label>Name <input name="name" value="${escape(body.name)}"></label></p>
<p><label>Comment <textarea name="comment">${escape(body.comment)}</textarea></label></p>
${res.locals.passgateWidget({ action })}
<p><button type="submit">Post</button></p>
</form></body></html>`;
}

app.get('/', (req, res) => res.send(page(res)));
app.post('/', requireCaptcha({
  verifier,
  action,
  // Re-render the form with what was typed; the status is the outcome's.
  onFailure: (req, res, outcome) => res.status(outcome.httpStatus)
    .send(page(res, { outcome, message: outcome.message, body: req.body })),
}), (req, res) => {
  res.send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Saved</title></head>
<body><h1 id="saved">Thanks, ${escape(req.body.name)}</h1><p>Your comment was posted.</p></body></html>`);
});

app.listen(Number(process.env.PORT || 8000), '127.0.0.1');
