import type { IncomingMessage } from 'node:http';
import type { Outcome, Verifier } from './index';

declare module 'node:http' {
  interface IncomingMessage {
    /** Set by verifyRequest on a node:http request. */
    passgate?: Outcome | null;
  }
}

export interface VerifyRequestOptions {
  verifier: Verifier;
  /** The action the token must be solved for. */
  action?: string | null;
  uid?: string | null;
  /** Body field with the token; default: the provider's own (`verifier.formField`). */
  field?: string;
  /** A header to read the token from when the body has none. */
  header?: string;
  /**
   * The parsed body (an object, FormData or URLSearchParams) when the app read it already.
   * Without it: node:http uses `req.body` when set, else reads a JSON, urlencoded or multipart
   * body (at most `limit` bytes) and sets `req.body`; a web Request is read through a clone.
   */
  body?: unknown;
  /** The client's IP; default: `req.socket.remoteAddress` for node:http, none for a web Request. null: none. */
  clientIp?: string | null;
  /** The most bytes of body read; default 102400. A larger body holds no token (missing_token). */
  limit?: number;
}

/** Resolves with the outcome (branch on `ok`); never rejects for a bad token, a failing upstream or a bad body. */
export declare function verifyRequest(req: IncomingMessage | Request, options: VerifyRequestOptions): Promise<Outcome>;

/** `res.writeHead(a.status, a.headers).end(a.body)` (node:http) or `new Response(a.body, a)`. */
export interface FailureAnswer {
  status: number;
  headers: { 'content-type': string };
  /** JSON `{"error", "message"}` or the core's HTML page. */
  body: string;
}

/**
 * How to answer a failed outcome, as the Express and Fastify helpers do (JSON or the HTML page, by
 * the request's headers, in its Accept-Language). @throws TypeError for an outcome that passed.
 */
export declare function failureAnswer(req: IncomingMessage | Request, outcome: Outcome): FailureAnswer;
