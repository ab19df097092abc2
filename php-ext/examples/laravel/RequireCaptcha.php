<?php
// Laravel middleware: verify the captcha before a route runs.
//
//   // app/Http/Kernel.php:  'captcha' => \App\Http\Middleware\RequireCaptcha::class,
//   Route::post('/login', LoginController::class)->middleware('captcha:login');
//
// Keys come from the environment (CAPTCHALA_APP_KEY, CAPTCHALA_APP_SECRET, PASSGATE_*).
// The client IP is $request->ip(): configure Laravel's TrustProxies for your proxies.

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Passgate\Verifier;
use Symfony\Component\HttpFoundation\Response;

final class RequireCaptcha
{
    public function __construct(private ?Verifier $verifier = null)
    {
    }

    public function handle(Request $request, Closure $next, ?string $action = null): Response
    {
        if ($request->isMethodSafe()) {
            return $next($request);
        }
        $verifier = $this->verifier ?? Verifier::fromEnv();
        // The provider's own field: captchala_token, g-recaptcha-response,
        // h-captcha-response or cf-turnstile-response.
        $field = $verifier->formField();
        $token = $request->input($field);
        $outcome = $verifier->validate(is_string($token) ? $token : null, ['client_ip' => $request->ip(), 'action' => $action]);
        $request->attributes->set('passgate', $outcome);
        if ($outcome->ok) {
            return $next($request);
        }
        $message = $outcome->messageFor($request->getPreferredLanguage() ?? 'en');
        if ($request->expectsJson() || !function_exists('redirect')) {
            return new JsonResponse(['error' => $outcome->code, 'message' => $message], $outcome->httpStatus);
        }
        // Back to the form with what the user typed and the message on the token field.
        return redirect()->back($outcome->httpStatus === 409 ? 303 : 302)
            ->withInput($request->except($field))
            ->withErrors([$field => $message]);
    }
}
