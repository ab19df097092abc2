<?php

namespace Passgate\Symfony;

use Passgate\Verifier;
use Symfony\Component\HttpFoundation\RequestStack;

/**
 * The widget's HTML ($verifier->widget()) for the current request: without a
 * `nonce`, the request attribute `csp_nonce` (set it where your policy is
 * written; NelmioSecurityBundle users pass csp_nonce('script')); without a
 * `lang`, the request's locale.
 */
final class WidgetRenderer
{
    public function __construct(private Verifier $verifier, private RequestStack $requestStack)
    {
    }

    /** @param array{action?: ?string, nonce?: ?string, cdata?: ?string, server_token?: ?string, lang?: ?string} $args */
    public function render(array $args = []): string
    {
        $request = $this->requestStack->getCurrentRequest();
        if ($request !== null) {
            $nonce = $request->attributes->get('csp_nonce');
            $args['nonce'] ??= is_string($nonce) && $nonce !== '' ? $nonce : null;
            $locale = $request->getLocale();
            $args['lang'] ??= Messages::isPlainLocale($locale) ? $locale : null;
        }
        return $this->verifier->widget(array_filter($args, fn ($value) => $value !== null && $value !== ''));
    }
}
