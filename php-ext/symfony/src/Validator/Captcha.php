<?php

namespace Passgate\Symfony\Validator;

use Symfony\Component\Validator\Constraint;

/**
 * The value is a pass token for `action`: `#[Captcha(action: 'login')]`.
 * A null or empty value fails too (`missing_token`): no NotBlank needed.
 * The violation's message is the outcome's, its code the outcome code; the
 * outcome is the current request's attribute `passgate`.
 */
#[\Attribute(\Attribute::TARGET_PROPERTY | \Attribute::TARGET_METHOD)]
final class Captcha extends Constraint
{
    public ?string $action = null;

    public function __construct(?string $action = null, ?array $groups = null, mixed $payload = null, ?array $options = null)
    {
        parent::__construct($options ?? [], $groups, $payload);
        $this->action = $action ?? $this->action;
    }
}
