<?php

namespace Passgate\Laravel\View;

use Illuminate\Contracts\Container\Container;
use Illuminate\Support\HtmlString;
use Illuminate\View\Component;
use Passgate\Laravel\Messages;
use Passgate\Verifier;

/**
 * `<x-passgate-widget action="login" />`: the provider's widget for one form
 * ($verifier->widget()), inside the <form>. Attributes: action, nonce, cdata
 * (Turnstile), server-token (CaptchaLa), lang.
 *
 * Without a `nonce` attribute the script carries the request's CSP nonce when
 * the app has one: Laravel's Vite::cspNonce() (Laravel 9.x and later, after
 * Vite::useCspNonce()), else a view-shared `cspNonce` variable
 * (View::share('cspNonce', $nonce) in the app's CSP middleware). Without a
 * `lang` attribute the "could not load" hint is in the app's locale.
 */
final class Widget extends Component
{
    public function __construct(
        private Verifier $verifier,
        private Container $container,
        public ?string $action = null,
        public ?string $nonce = null,
        public ?string $cdata = null,
        public ?string $serverToken = null,
        public ?string $lang = null,
    ) {
    }

    public function render(): HtmlString
    {
        $args = ['action' => $this->action, 'nonce' => $this->nonce ?? $this->requestNonce(), 'cdata' => $this->cdata,
            'server_token' => $this->serverToken, 'lang' => $this->lang ?? $this->appLocale()];
        // HtmlString: the core escapes what it renders, and Blade must not compile it.
        return new HtmlString($this->verifier->widget(array_filter($args, fn ($value) => $value !== null && $value !== '')));
    }

    private function requestNonce(): ?string
    {
        $vite = 'Illuminate\Foundation\Vite';
        if (class_exists($vite)) {
            $nonce = $this->container->make($vite)->cspNonce();
            if (is_string($nonce) && $nonce !== '') {
                return $nonce;
            }
        }
        if ($this->container->bound('view')) {
            $nonce = $this->container->make('view')->shared('cspNonce');
            if (is_string($nonce) && $nonce !== '') {
                return $nonce;
            }
        }
        return null;
    }

    private function appLocale(): ?string
    {
        $locale = method_exists($this->container, 'getLocale') ? (string) $this->container->getLocale() : '';
        return Messages::isPlainLocale($locale) ? $locale : null;
    }
}
