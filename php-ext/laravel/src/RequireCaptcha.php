<?php

namespace Passgate\Laravel;

use Closure;
use Illuminate\Contracts\Container\Container;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Passgate\Outcome;
use Passgate\Verifier;
use Symfony\Component\HttpFoundation\Response;

/**
 * The `captcha` route middleware: `->middleware('captcha:login')` verifies the
 * captcha of every unsafe request (POST, PUT, PATCH, DELETE) before the route
 * runs, for the action `login` (none without a parameter). The outcome is the
 * request attribute `passgate`. On failure the route does not run: a JSON
 * request gets `{"error": code, "message": ...}` with the outcome's HTTP status;
 * a form post is sent back to the form with what the user typed (less the
 * token) and the message on the provider's field. Messages follow the
 * browser's Accept-Language (Messages::for).
 */
final class RequireCaptcha
{
    public function __construct(private Verifier $verifier, private Container $container)
    {
    }

    public function handle(Request $request, Closure $next, ?string $action = null): Response
    {
        if ($request->isMethodSafe()) {
            return $next($request);
        }
        // The provider's own field: captchala_token, g-recaptcha-response,
        // h-captcha-response or cf-turnstile-response.
        $field = $this->verifier->formField();
        $token = $request->input($field);
        // $request->ip(): REMOTE_ADDR, or the forwarded address when REMOTE_ADDR
        // is one of the proxies TrustProxies trusts.
        $outcome = $this->verifier->validate(is_string($token) ? $token : null, ['client_ip' => $request->ip(), 'action' => $action]);
        $request->attributes->set('passgate', $outcome);
        if ($outcome->ok) {
            return $next($request);
        }
        $message = $this->message($outcome, $request->getPreferredLanguage() ?? 'en');
        // Without a session (an API route) there is nowhere to keep the input: JSON.
        if ($request->expectsJson() || !$request->hasSession()) {
            return new JsonResponse(['error' => $outcome->code, 'message' => $message], $outcome->httpStatus);
        }
        // Back to the form with what the user typed and the message on the token
        // field; 303 after a replay, so the browser does not post the used token again.
        return $this->container->make('redirect')->back($outcome->httpStatus === 409 ? 303 : 302)
            ->withInput($request->except($field))
            ->withErrors([$field => $message]);
    }

    private function message(Outcome $outcome, string $locale): string
    {
        $translator = $this->container->bound('translator') ? $this->container->make('translator') : null;
        return Messages::for($outcome, $locale, $translator);
    }
}
