<?php

namespace Passgate\Symfony\Validator;

use Passgate\Symfony\Messages;
use Passgate\Verifier;
use Symfony\Component\HttpFoundation\RequestStack;
use Symfony\Component\Validator\Constraint;
use Symfony\Component\Validator\ConstraintValidator;
use Symfony\Component\Validator\Exception\UnexpectedTypeException;

final class CaptchaValidator extends ConstraintValidator
{
    public function __construct(private Verifier $verifier, private RequestStack $requestStack, private ?object $translator = null)
    {
    }

    public function validate(mixed $value, Constraint $constraint): void
    {
        if (!$constraint instanceof Captcha) {
            throw new UnexpectedTypeException($constraint, Captcha::class);
        }
        $request = $this->requestStack->getCurrentRequest();
        // getClientIp(): REMOTE_ADDR, or the forwarded address when REMOTE_ADDR is
        // one of framework.trusted_proxies. Anything but a string is no token.
        $outcome = $this->verifier->validate(is_string($value) ? $value : null,
            ['client_ip' => $request?->getClientIp(), 'action' => $constraint->action]);
        $request?->attributes->set('passgate', $outcome);
        if ($outcome->ok) {
            return;
        }
        $locale = $request?->getLocale() ?? 'en';
        $this->context->buildViolation(Messages::for($outcome, $locale, $this->translator))
            ->setCode($outcome->code)
            ->setCause($outcome)
            // Not the token: violations are shown and logged.
            ->setInvalidValue(null)
            ->addViolation();
    }
}
