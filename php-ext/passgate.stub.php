<?php
// IDE stub for the passgate extension (php-ext/). Kept in sync with the
// extension by ApiTest::testEveryStubbedMethodExists (tests/ApiTest.php).
// Do not include it at run time.

namespace Passgate;

/** Base class of passgate's exceptions. */
class PassgateException extends \Exception {}

/** A bad setting; the message names it. */
class ConfigException extends PassgateException {}

/** A bug inside passgate (a caught panic); the worker lives on. */
class InternalException extends PassgateException {}

/** issueServerToken() was refused or the upstream failed. */
class IssueException extends PassgateException {}

/**
 * The result of one validation. Read-only properties.
 *
 * @property-read bool $ok
 * @property-read string $code             one of the 17 outcome codes
 * @property-read string $category         passed|client|upstream|config|store
 * @property-read bool $retryable
 * @property-read int $httpStatus
 * @property-read string $message          user-safe, English
 * @property-read string $provider         captchala|recaptcha|hcaptcha|turnstile
 * @property-read string|null $upstreamError
 * @property-read string|null $tokenType
 * @property-read int|null $tokenAgeMs
 * @property-read string|null $challengeId
 * @property-read string|null $action      the action the token was solved for
 * @property-read string|null $uid
 * @property-read int|null $riskScore
 * @property-read string|null $hostname    the page's host, from reCAPTCHA, hCaptcha and Turnstile
 * @property-read float|null $score        the provider's score as sent (reCAPTCHA: 1.0 = human; hCaptcha: higher = riskier)
 * @property-read string|null $cdata       Turnstile's customer data
 * @property-read array<string, mixed>|null $captchaArgs
 * @property-read array<string, mixed> $logFields  the log record (snake_case keys)
 * @property-read string $logMessage       a one-line summary for text logs
 */
class Outcome
{
    /** The user-safe message in a language (en, zh-CN, zh-TW, ja, ko, es, fr, de; others fall back). */
    public function messageFor(string $lang): string {}

    /** Every property as an array. */
    public function toArray(): array {}

    /** What var_dump/print_r show: every property. */
    public function __debugInfo(): array {}
}

class Verifier
{
    /**
     * @param array{provider?: string, app_key?: string, app_secret?: string, secret_key?: string,
     *   site_key?: string, environment?: string, api_base?: string, script_url?: string,
     *   backup_api_base?: string,
     *   expected_hostnames?: list<string>, min_score?: float, max_risk_score?: float,
     *   replay_store?: string, redis_key_prefix?: string, store_timeout_ms?: int, timeout_ms?: int,
     *   max_token_age_s?: int, clock_skew_s?: int, mode?: string, ca_file?: string,
     *   max_entries?: int, allow_client_only?: bool, allow_degraded?: bool,
     *   fail_open_on_store_error?: bool,
     *   logger?: callable|object, on_outcome?: callable(Outcome): mixed} $options  anything not given
     *   is read from the environment, then from php.ini (passgate.<option>). `logger`: a callable
     *   fn(string $level, string $message, array $context) or a PSR-3 logger, given each validation's
     *   log record. `on_outcome`: called with each Outcome after its log record (count it in your
     *   metrics); what it throws is logged (class and message) and the outcome still returned.
     * @throws ConfigException naming the bad setting
     */
    public function __construct(?array $options = null) {}

    /** Everything from the environment (PASSGATE_PROVIDER, CAPTCHALA_APP_KEY, PASSGATE_SECRET_KEY, PASSGATE_*). */
    public static function fromEnv(): Verifier {}

    /** captchala, recaptcha, hcaptcha or turnstile. */
    public function provider(): string {}

    /** The form field the provider's widget posts the token in (cf-turnstile-response, ...). */
    public function formField(): string {}

    /**
     * Validate a pass token. Never throws for a bad token or a failing upstream.
     *
     * @param mixed $token  the token string; anything else (null, an array from
     *   `captchala_token[]=...`, an int, an object) is no token: `missing_token`
     * @param array{client_ip?: string, action?: string, uid?: string, keep_token?: bool} $opts
     * @throws \TypeError when an option in $opts has the wrong type
     * @throws InternalException on a bug inside passgate
     */
    public function validate(mixed $token, ?array $opts = null): Outcome {}

    /**
     * CaptchaLa only: another provider throws IssueException ("not supported by provider ...").
     *
     * @param array{binding_ip?: string, ttl?: int, max_uses?: int, bind_uid?: string} $opts
     * @return array{server_token: string, expires_in: int|null, issued_at: int|null}
     * @throws IssueException
     */
    public function issueServerToken(string $action, ?array $opts = null): array {}

    /**
     * The widget's HTML for one form: the provider's container, a hint shown when its
     * script cannot load, and a bootstrap script (with the nonce; its hash is in csp(),
     * so no 'unsafe-inline' is needed).
     *
     * @param array{action?: string, nonce?: string, cdata?: string, server_token?: string, lang?: string} $args
     * @throws ConfigException naming a bad argument or a missing site_key
     */
    public function widget(?array $args = null): string {}

    /**
     * The sources the widget needs in the page's Content Security Policy.
     *
     * @return array<string, list<string>>  directive => sources
     */
    public function csp(): array {}

    /** What var_dump/print_r show: never the secret. */
    public function __debugInfo(): array {}
}

/**
 * The widget of the verifier the environment configures (PASSGATE_*), for templates:
 * Blade `{!! Passgate\widget(['action' => 'login', 'nonce' => $nonce]) !!}`.
 *
 * @param array{action?: string, nonce?: string, cdata?: string, server_token?: string, lang?: string} $args
 * @throws ConfigException
 */
function widget(?array $args = null): string {}

/**
 * Checks a deployment before users hit it: the configuration a `new Verifier($options)` would
 * get (each setting and where it came from: [argument], [environment VAR] or [php.ini]), the
 * provider's API (DNS, TCP, TLS), the keys, the clock, the replay store. Blocking: each network
 * check is bounded by timeout_ms. `php -r 'echo Passgate\doctor();'` checks what php.ini and the
 * environment configure. Never prints a secret or a token.
 *
 * @param array<string, mixed> $options  as for new Verifier() (logger and on_outcome are ignored)
 * @param bool $json  the JSON report instead of the text table:
 *   {"ok": bool, "checks": [{"name", "status": pass|warn|fail|skip, "summary", "advice", "details": [{"name", "value"}]}]}
 * @param string|null $source  the label of the options given, for a framework's own configuration
 *   (`config/passgate.php`); null: `argument`
 * @throws ConfigException naming a bad argument or php.ini entry (a bad environment variable is a failed check)
 */
function doctor(array $options = [], bool $json = false, ?string $source = null): string {}

/**
 * This process's counters (every verifier's validations count; each PHP-FPM worker has its own):
 * validations by provider and outcome, latency histograms, upstream calls and retries, replay
 * store errors.
 *
 * @return array{validations: list<array{provider: string, outcome: string, count: int}>,
 *   validation_latency: list<array{provider: string, duration_seconds: array{buckets: list<array{le: string, count: int}>, count: int, sum: float}}>,
 *   upstream: list<array{provider: string, calls: int, retries: int, duration_seconds: array}>,
 *   replay_store_errors: list<array{store: string, count: int}>, replay_live_evictions: int,
 *   latency_buckets_s: list<float>}
 */
function metrics(): array {}

/** The same counters in the Prometheus text format (0.0.4), every name prefixed passgate_. */
function metrics_text(): string {}
