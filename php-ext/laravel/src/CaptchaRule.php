<?php

namespace Passgate\Laravel;

use Illuminate\Contracts\Container\Container;
use Illuminate\Validation\Validator;
use Passgate\Outcome;
use Passgate\Verifier;
use WeakMap;

/**
 * The `captcha` validation rule: `'cf-turnstile-response' => 'required|captcha:login'`
 * validates the field's token for the action `login` (the parameter is optional).
 *
 * The rule is implicit: it runs, and fails with `missing_token`, when the field is
 * absent, so leaving out `required` never lets a post without a token through.
 * After another rule of the same field has failed (`required`), it does not run:
 * one message, and no upstream call. Its message is the outcome's (Messages::for,
 * in the app's locale), through Laravel's translator: `validation.captcha`, or a
 * custom message, may wrap it as `:message`.
 *
 * Like every validation, each check spends the token: a form that fails
 * validation for another field needs a fresh challenge.
 */
final class CaptchaRule
{
    /** @var WeakMap<Validator, array<string, Outcome>> the failed outcomes, per validator and attribute */
    private WeakMap $failures;

    public function __construct(private Verifier $verifier, private Container $container)
    {
        $this->failures = new WeakMap();
    }

    /** @param list<string> $parameters */
    public function validate(string $attribute, mixed $value, array $parameters, Validator $validator): bool
    {
        if (isset($validator->failed()[$attribute])) {
            return true;
        }
        $request = $this->container->bound('request') ? $this->container->make('request') : null;
        $outcome = $this->verifier->validate(is_string($value) ? $value : null, [
            'client_ip' => $request?->ip(),
            'action' => $parameters[0] ?? null,
        ]);
        $request?->attributes->set('passgate', $outcome);
        if (!$outcome->ok) {
            $this->failures[$validator] = [$attribute => $outcome] + ($this->failures[$validator] ?? []);
        }
        return $outcome->ok;
    }

    /** Puts the outcome's message where the rule's message has `:message`. */
    public function replace(string $message, string $attribute, string $rule, array $parameters, Validator $validator): string
    {
        $outcome = $this->failures[$validator][$attribute] ?? null;
        if ($outcome === null) {
            return $message;
        }
        $translator = $validator->getTranslator();
        return str_replace(':message', Messages::for($outcome, (string) $translator->getLocale(), $translator), $message);
    }
}
