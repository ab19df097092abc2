import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import type { Outcome, Verifier } from './index';

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by the passgate plugin. */
    passgate: passgate.PassgateDecorator;
  }
  interface FastifyRequest {
    /** Set by requireCaptcha: the outcome, or null on GET/HEAD/OPTIONS/TRACE (and before it runs). */
    passgate: Outcome | null;
  }
}

type PassgatePlugin = FastifyPluginAsync<passgate.PassgatePluginOptions>;

declare namespace passgate {
  export interface RouteCaptchaOptions {
    /** The action the token must be solved for. */
    action?: string;
    /** Body field with the token; default: the provider's own (`verifier.formField`). */
    field?: string;
    /** A header to read the token from when the body has none. */
    header?: string;
    /** Answer a failure yourself; it must send a reply (now or later: the route waits and never runs). */
    onFailure?: (request: FastifyRequest, reply: FastifyReply, outcome: Outcome) => unknown;
  }

  export interface RequireCaptchaOptions extends RouteCaptchaOptions {
    verifier: Verifier;
  }

  /** The plugin's options: the verifier, and defaults for every requireCaptcha. */
  export interface PassgatePluginOptions {
    verifier: Verifier;
    field?: string;
    header?: string;
    onFailure?: RouteCaptchaOptions['onFailure'];
  }

  /** `fastify.passgate` */
  export interface PassgateDecorator {
    readonly verifier: Verifier;
    /** A preHandler with the plugin's verifier (and its options as defaults). */
    requireCaptcha(options?: RouteCaptchaOptions): preHandlerAsyncHookHandler;
  }

  /** A preHandler hook without the plugin: `{ preHandler: requireCaptcha({ verifier, action }) }`. */
  export function requireCaptcha(options: RequireCaptchaOptions): preHandlerAsyncHookHandler;

  export const passgate: PassgatePlugin;
  export { passgate as default };
}

declare function passgate(...params: Parameters<PassgatePlugin>): ReturnType<PassgatePlugin>;
export = passgate;
