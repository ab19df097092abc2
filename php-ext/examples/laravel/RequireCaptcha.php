<?php
// Laravel middleware: verify the captcha before a route runs.
//
//   // app/Http/Kernel.php:  'captcha' => \App\Http\Middleware\RequireCaptcha::class,
//   Route::post('/login', LoginController::class)->middleware('captcha:login');
//
// Keys come from the environment (CAPTCHALA_APP_KEY, CAPTCHALA_APP_SECRET, PASSGATE_*).
// The client IP is $request->ip(): configure Laravel's TrustProxies for your proxies.
//
// Messages are in the browser's language (Accept-Language). To word them your
// way, or to add a language, give the app a `passgate` translation file keyed by
// outcome code, e.g. lang/pt_BR/passgate.php (resources/lang/ before Laravel 9):
//
//   <?php return ['replayed' => 'Este captcha já foi usado. Resolva-o de novo.'];
//
// The line for the browser's locale (pt_BR), else for its language (pt), wins;
// without one the core's message is used (en, zh-CN, zh-TW, ja, ko, es, fr, de;
// English otherwise). The app's fallback_locale is not consulted, so an English
// line never hides the core's French one.

namespace App\Http\Middleware;

use Closure;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Passgate\Outcome;
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
        $message = $this->message($outcome, $request->getPreferredLanguage() ?? 'en');
        if ($request->expectsJson() || !function_exists('redirect')) {
            return new JsonResponse(['error' => $outcome->code, 'message' => $message], $outcome->httpStatus);
        }
        // Back to the form with what the user typed and the message on the token field.
        return redirect()->back($outcome->httpStatus === 409 ? 303 : 302)
            ->withInput($request->except($field))
            ->withErrors([$field => $message]);
    }

    /** The app's `passgate.<code>` line for $locale or its language, else the core's message. */
    private function message(Outcome $outcome, string $locale): string
    {
        // The locale comes from a request header: only a plain tag (pt_BR, de) reaches
        // the translator, whose FileLoader would otherwise follow ../ out of lang/.
        if (preg_match('/\A[A-Za-z]{2,8}(?:_[A-Za-z0-9]{1,8})*\z/', $locale) && function_exists('app') && app()->bound('translator')) {
            $key = "passgate.{$outcome->code}";
            foreach (array_unique([$locale, strtok($locale, '_-')]) as $candidate) {
                // false: this locale only, not the translator's fallback_locale.
                $text = app('translator')->get($key, [], $candidate, false);
                if (is_string($text) && $text !== $key) {
                    return $text;
                }
            }
        }
        return $outcome->messageFor($locale);
    }
}
