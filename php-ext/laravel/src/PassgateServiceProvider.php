<?php

namespace Passgate\Laravel;

use Illuminate\Contracts\Foundation\Application;
use Illuminate\Support\ServiceProvider;
use Illuminate\Validation\Factory as ValidationFactory;
use Illuminate\View\Compilers\BladeCompiler;
use Passgate\Laravel\Console\DoctorCommand;
use Passgate\Laravel\View\Widget;
use Passgate\Verifier;

/**
 * One Passgate\Verifier for the app (a singleton, built from config/passgate.php
 * when first used), the `captcha` route middleware, the `captcha` validation
 * rule, the <x-passgate-widget> Blade component and `php artisan
 * passgate:doctor`. Auto-discovered
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
        if ($this->app->runningInConsole()) {
            $this->commands([DoctorCommand::class]);
        }
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

    /**
     * The options of config('passgate') (less the integration's keys and what
     * is null) without logger and on_outcome: what passgate:doctor checks.
     */
    public static function verifierOptions(array $config): array
    {
        $options = array_diff_key($config, array_flip([...self::INTEGRATION_KEYS, 'logger', 'on_outcome']));
        return array_filter($options, fn ($value) => $value !== null);
    }

    /** The verifier's options, plus the logger and on_outcome. */
    private static function options(Application $app): array
    {
        $config = (array) $app->make('config')->get('passgate', []);
        $options = self::verifierOptions($config);
        if (isset($config['logger'])) {
            $options['logger'] = $config['logger'];
        } elseif ($config['log'] ?? true) {
            $log = $app->make('log');
            // A PSR-3 logger: info() on a pass, warning() on a failure, the log record as the context.
            $options['logger'] = isset($config['log_channel']) ? $log->channel($config['log_channel']) : $log;
        }
        $onOutcome = $config['on_outcome'] ?? null;
        if ($onOutcome !== null) {
            // A class name (config:cache cannot hold a closure): an invokable
            // object from the container; else any callable.
            $options['on_outcome'] = is_string($onOutcome) && class_exists($onOutcome) ? $app->make($onOutcome) : $onOutcome;
        }
        return $options;
    }
}
