<?php

namespace Passgate\Laravel;

use Illuminate\Contracts\Foundation\Application;
use Illuminate\Support\ServiceProvider;
use Illuminate\Validation\Factory as ValidationFactory;
use Illuminate\View\Compilers\BladeCompiler;
use Passgate\Laravel\View\Widget;
use Passgate\Verifier;

/**
 * One Passgate\Verifier for the app (a singleton, built from config/passgate.php
 * when first used), the `captcha` route middleware, the `captcha` validation
 * rule and the <x-passgate-widget> Blade component. Auto-discovered
 * (composer.json's extra.laravel.providers).
 */
final class PassgateServiceProvider extends ServiceProvider
{
    /** Keys of config('passgate') that configure the integration, not the verifier. */
    private const INTEGRATION_KEYS = ['log', 'log_channel'];

    public function register(): void
    {
        $this->mergeConfigFrom(self::configFile(), 'passgate');
        $this->app->singleton(Verifier::class, fn (Application $app) => new Verifier(self::options($app)));
        $this->app->alias(Verifier::class, 'passgate');
        $this->app->singleton(CaptchaRule::class);
    }

    public function boot(): void
    {
        $this->publishes([self::configFile() => $this->app->configPath('passgate.php')], 'passgate-config');
        $this->app->make('router')->aliasMiddleware('captcha', RequireCaptcha::class);
        $this->callAfterResolving('validator', function (ValidationFactory $validator): void {
            // ':message' is the outcome's message (CaptchaRule::replace).
            $validator->extendImplicit('captcha', CaptchaRule::class . '@validate', ':message');
            $validator->replacer('captcha', CaptchaRule::class . '@replace');
        });
        $this->callAfterResolving('blade.compiler', function (BladeCompiler $blade): void {
            $blade->component(Widget::class, 'passgate-widget');
        });
    }

    public static function configFile(): string
    {
        return dirname(__DIR__) . '/config/passgate.php';
    }

    /** The verifier's options: config('passgate') less what is null, plus the logger. */
    private static function options(Application $app): array
    {
        $config = (array) $app->make('config')->get('passgate', []);
        $options = array_filter(array_diff_key($config, array_flip(self::INTEGRATION_KEYS)), fn ($value) => $value !== null);
        if (($config['log'] ?? true) && !isset($options['logger'])) {
            $log = $app->make('log');
            // A PSR-3 logger: info() on a pass, warning() on a failure, the log record as the context.
            $options['logger'] = isset($config['log_channel']) ? $log->channel($config['log_channel']) : $log;
        }
        return $options;
    }
}
