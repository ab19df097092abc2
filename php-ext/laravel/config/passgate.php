<?php
// passgate's settings (php artisan vendor:publish --tag=passgate-config).
// Every option of docs/configuration.md, read from the environment by
// default, so `php artisan config:cache` keeps them. A value left null is
// not given: the extension then reads that option's environment variable
// itself, or uses its default.
//
// Every value set here is passed to the verifier: a variable of another
// provider left in .env (CAPTCHALA_APP_KEY with PASSGATE_PROVIDER=turnstile)
// is a Passgate\ConfigException naming it. Remove it, or set its key to null.

return [
    // captchala (default), recaptcha, hcaptcha or turnstile
    'provider' => env('PASSGATE_PROVIDER'),
    // CaptchaLa's keys
    'app_key' => env('CAPTCHALA_APP_KEY'),
    'app_secret' => env('CAPTCHALA_APP_SECRET'),
    // reCAPTCHA, hCaptcha, Turnstile: the siteverify secret and the public site key (the widget needs it)
    'secret_key' => env('PASSGATE_SECRET_KEY'),
    'site_key' => env('PASSGATE_SITE_KEY'),
    // production (default) unless development, dev, local, test, testing or ci
    'environment' => env('PASSGATE_ENVIRONMENT'),
    'api_base' => env('PASSGATE_API_BASE'),
    'script_url' => env('PASSGATE_SCRIPT_URL'),
    'backup_api_base' => env('PASSGATE_BACKUP_API_BASE'),
    // a list, or one string of comma-separated names
    'expected_hostnames' => env('PASSGATE_EXPECTED_HOSTNAMES'),
    'min_score' => env('PASSGATE_MIN_SCORE'),
    'max_risk_score' => env('PASSGATE_MAX_RISK_SCORE'),
    // memory (per PHP-FPM worker), none, or redis://… shared by every worker and host
    'replay_store' => env('PASSGATE_REPLAY_STORE'),
    'redis_key_prefix' => env('PASSGATE_REDIS_KEY_PREFIX'),
    'store_timeout_ms' => env('PASSGATE_STORE_TIMEOUT_MS'),
    'timeout_ms' => env('PASSGATE_TIMEOUT_MS'),
    'max_token_age_s' => env('PASSGATE_MAX_TOKEN_AGE_S'),
    'clock_skew_s' => env('PASSGATE_CLOCK_SKEW_S'),
    'mode' => env('PASSGATE_MODE'),
    'ca_file' => env('PASSGATE_CA_FILE'),
    'max_entries' => env('PASSGATE_MAX_ENTRIES'),
    // true or false (CaptchaLa only; null: false)
    'allow_client_only' => null,
    'allow_degraded' => null,
    'fail_open_on_store_error' => null,

    // Not options of the verifier: where each validation's log record goes.
    // false: nowhere; true: the channel below, or the app's default one.
    'log' => true,
    'log_channel' => null,
    // Called with each Passgate\Outcome after its log record (count it in your
    // metrics): the name of an invokable class (made by the container), or
    // [SomeClass::class, 'staticMethod']; a closure would stop config:cache.
    'on_outcome' => null,
];
