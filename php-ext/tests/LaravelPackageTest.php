<?php
// The Laravel package (php-ext/laravel/) in a real request cycle, with
// Debian's Laravel 8 components: an Illuminate\Foundation\Application whose
// provider comes from package discovery (vendor/composer/installed.json made
// from the package's composer.json), requests handled by the HTTP kernel
// through TrustProxies, the web group (StartSession, ShareErrorsFromSession),
// the `captcha` middleware, the `captcha` rule and the Blade component,
// against the emulator.

use Illuminate\Contracts\Debug\ExceptionHandler;
use Illuminate\Contracts\Http\Kernel as HttpKernel;
use Illuminate\Foundation\Application;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\ServiceProvider;
use Illuminate\Validation\ValidationException;
use Passgate\Laravel\PassgateServiceProvider;
use PHPUnit\Framework\TestCase;

final class LaravelPackageTest extends TestCase
{
    private const PACKAGE = __DIR__ . '/../laravel';

    private static Emulator $emulator;

    /** A Laravel app's base directory (config, views, lang, vendor, storage), made per class. */
    private static string $base;

    private Application $app;

    private PassgateTestLogger $log;

    /** @var array<string, string> the browser's cookies (the session's) */
    private array $cookies = [];

    public static function setUpBeforeClass(): void
    {
        require_once '/usr/share/php/Illuminate/autoload.php';
        require_once __DIR__ . '/fixtures/laravel/support.php';
        require_once __DIR__ . '/fixtures/composer.php';
        self::$emulator = new Emulator();
        self::$base = sys_get_temp_dir() . '/passgate-laravel-' . getmypid();
        self::copy(__DIR__ . '/fixtures/laravel/app', self::$base);
        foreach (['bootstrap/cache', 'storage/framework/views'] as $dir) {
            mkdir(self::$base . "/$dir", 0700, true);
        }
        // `composer require passgate/laravel` from the path repository: its
        // vendor/autoload.php loads the package's classes, and package
        // discovery reads vendor/composer/installed.json.
        composer_install(self::$base, self::PACKAGE, 'passgate/laravel',
            array_fill_keys(['illuminate/console', 'illuminate/http', 'illuminate/routing', 'illuminate/support', 'illuminate/translation', 'illuminate/validation', 'illuminate/view'], Illuminate\Foundation\Application::VERSION));
        require self::$base . '/vendor/autoload.php';
    }

    public static function tearDownAfterClass(): void
    {
        self::remove(self::$base);
    }

    private static function copy(string $from, string $to): void
    {
        @mkdir($to, 0700, true);
        foreach (scandir($from) as $name) {
            if ($name === '.' || $name === '..') {
                continue;
            }
            is_dir("$from/$name") ? self::copy("$from/$name", "$to/$name") : copy("$from/$name", "$to/$name");
        }
    }

    private static function remove(string $path): void
    {
        if (is_dir($path) && !is_link($path)) {
            foreach (scandir($path) as $name) {
                if ($name !== '.' && $name !== '..') {
                    self::remove("$path/$name");
                }
            }
            rmdir($path);
        } elseif (file_exists($path)) {
            unlink($path);
        }
    }

    protected function setUp(): void
    {
        $this->app = $app = new Application(self::$base);
        $app->singleton(HttpKernel::class, PassgateTestKernel::class);
        $app->singleton(ExceptionHandler::class, PassgateTestExceptionHandler::class);
        $app->make(HttpKernel::class)->bootstrap();
        // The app's settings, as config/passgate.php would hold them for the emulator.
        foreach (self::$emulator->options() as $option => $value) {
            $app['config']->set("passgate.$option", $value);
        }
        $app->instance('log', $this->log = new PassgateTestLogger());

        $router = $app['router'];
        $router->middleware('web')->group(function ($router): void {
            $router->get('/login-form', fn () => view('login', ['field' => app(Passgate\Verifier::class)->formField()]));
            $router->post('/login', fn (Request $request) => self::routeRan($request))->middleware('captcha:login');
            $router->post('/register', function (Request $request) {
                validator($request->all(), ['email' => 'required', 'captchala_token' => 'required|captcha:register'])->validate();
                return self::routeRan($request);
            });
            // No `required`: the rule alone still refuses a post without a token.
            $router->post('/subscribe', function (Request $request) {
                validator($request->all(), ['captchala_token' => 'captcha'])->validate();
                return self::routeRan($request);
            });
            // After another rule of the field failed, the rule does not run.
            $router->post('/strict', function (Request $request) {
                validator($request->all(), ['captchala_token' => 'string|captcha'])->validate();
                return self::routeRan($request);
            });
            // validation.custom.wrapped_token.captcha wraps the outcome's message.
            $router->post('/wrapped', function (Request $request) {
                validator($request->all(), ['wrapped_token' => 'captcha:login'])->validate();
                return self::routeRan($request);
            });
        });
        // No session (an API route): failures answer JSON.
        $router->post('/api/login', fn (Request $request) => self::routeRan($request))->middleware('captcha:login');
    }

    protected function tearDown(): void
    {
        Illuminate\Container\Container::setInstance(null);
        Illuminate\Console\Application::forgetBootstrappers();
        Request::setTrustedProxies([], -1);
        putenv('PASSGATE_SITE_KEY');
        putenv('PASSGATE_TIMEOUT_MS');
    }

    private static function routeRan(Request $request): JsonResponse
    {
        $outcome = $request->attributes->get('passgate');
        return new JsonResponse(['ran' => true, 'code' => $outcome?->code, 'ip' => $outcome?->logFields['client_ip'] ?? null]);
    }

    /** One request through the HTTP kernel, as a browser with this test's cookies sends it. */
    private function send(string $method, string $uri, array $form = [], array $server = []): Symfony\Component\HttpFoundation\Response
    {
        $request = Request::create("http://localhost$uri", $method, $form, $this->cookies, [], $server + ['REMOTE_ADDR' => '203.0.113.9',
            'HTTP_ACCEPT' => 'text/html,application/xhtml+xml', 'HTTP_ACCEPT_LANGUAGE' => 'fr-FR, fr;q=0.9']);
        $response = $this->app->make(HttpKernel::class)->handle($request);
        foreach ($response->headers->getCookies() as $cookie) {
            $this->cookies[$cookie->getName()] = $cookie->getValue();
        }
        return $response;
    }

    private function json(Symfony\Component\HttpFoundation\Response $response): array
    {
        return json_decode((string) $response->getContent(), true, 512, JSON_THROW_ON_ERROR);
    }

    public function testTheProviderIsDiscoveredAndBuildsOneVerifierFromTheConfig(): void
    {
        $this->assertTrue($this->app->providerIsLoaded(PassgateServiceProvider::class), 'found through extra.laravel.providers');
        $verifier = $this->app->make(Passgate\Verifier::class);
        $this->assertSame($verifier, $this->app->make(Passgate\Verifier::class));
        $this->assertSame($verifier, $this->app->make('passgate'));
        $this->assertSame(['captchala', 'captchala_token'], [$verifier->provider(), $verifier->formField()]);
        $this->assertSame(self::$emulator->url, $verifier->__debugInfo()['api_base']);
        $this->assertSame(['captcha' => Passgate\Laravel\RequireCaptcha::class], array_intersect_key($this->app['router']->getMiddleware(), ['captcha' => 1]));
        // vendor:publish --tag=passgate-config copies the package's config file (as Composer installed it).
        $this->assertSame([self::$base . '/vendor/passgate/laravel/config/passgate.php' => self::$base . '/config/passgate.php'],
            ServiceProvider::pathsToPublish(PassgateServiceProvider::class, 'passgate-config'));
    }

    public function testTheConfigReadsTheEnvironmentAndItsValuesReachTheVerifier(): void
    {
        // config/passgate.php's env() defaults, as `config:cache` keeps them.
        putenv('PASSGATE_SITE_KEY=site-key-from-env');
        putenv('PASSGATE_TIMEOUT_MS=1234');
        $config = require PassgateServiceProvider::configFile();
        $this->assertSame(['site-key-from-env', '1234', null], [$config['site_key'], $config['timeout_ms'], $config['app_key']]);
        // Every option of the core's table (`passgate options`), in its order.
        $table = shell_exec(escapeshellarg(getenv('PASSGATE_BIN') ?: REPO . '/target/debug/passgate') . ' options');
        $options = array_map(fn ($line) => strtok($line, ' '), array_values(array_filter(explode("\n", (string) $table))));
        $this->assertContains('fail_open_on_store_error', $options);
        $this->assertSame($options, array_values(array_diff(array_keys($config), ['log', 'log_channel', 'on_outcome'])));

        // A value of the config reaches the verifier: a Turnstile verifier with its site key.
        $this->app['config']->set('passgate', ['provider' => 'turnstile', 'secret_key' => 'test-secret-key', 'site_key' => '1x00000000000000000000AA',
            'environment' => 'test', 'api_base' => self::$emulator->url, 'expected_hostnames' => 'localhost, example.com', 'app_key' => null]);
        $verifier = $this->app->make(Passgate\Verifier::class);
        $this->assertSame(['turnstile', 'cf-turnstile-response'], [$verifier->provider(), $verifier->formField()]);
        $this->assertStringContainsString('data-sitekey="1x00000000000000000000AA"', $verifier->widget(['action' => 'login']));
    }

    public function testPassRunsTheRouteWithTheClientIp(): void
    {
        self::$emulator->script('pt_lpkg_ok', ['action' => 'login']);
        $response = $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_ok'], ['HTTP_X_FORWARDED_FOR' => '6.6.6.6']);
        // 203.0.113.9 is no trusted proxy: its X-Forwarded-For is not believed.
        $this->assertSame([200, ['ran' => true, 'code' => 'passed', 'ip' => '203.0.113.9']], [$response->getStatusCode(), $this->json($response)]);
        // Each validation logs once, through the app's log.
        $this->assertSame([['info', 'passed']], array_map(fn ($r) => [$r[0], $r[2]['outcome']], $this->log->records));
    }

    public function testBehindATrustedProxyTheForwardedAddressIsTheClient(): void
    {
        self::$emulator->script('pt_lpkg_proxy', ['action' => 'login']);
        $response = $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_proxy'],
            ['REMOTE_ADDR' => '198.51.100.4', 'HTTP_X_FORWARDED_FOR' => '6.6.6.6']);
        $this->assertSame('6.6.6.6', $this->json($response)['ip']);
    }

    public function testJsonFailureAnswersErrorAndMessageWithTheOutcomesStatus(): void
    {
        self::$emulator->script('pt_lpkg_json_pay', ['action' => 'pay']);
        $response = $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_json_pay'], ['HTTP_ACCEPT' => 'application/json']);
        $body = $this->json($response);
        $this->assertSame([400, 'action_mismatch', ['error', 'message']], [$response->getStatusCode(), $body['error'], array_keys($body)]);
        $this->assertSame($this->message('action_mismatch', 'fr'), $body['message']);
        $this->assertSame([['warning', 'action_mismatch']], array_map(fn ($r) => [$r[0], $r[2]['outcome']], $this->log->records));

        // A route without a session cannot keep the input: JSON even for a browser.
        $response = $this->send('POST', '/api/login', []);
        $this->assertSame([400, 'missing_token'], [$response->getStatusCode(), $this->json($response)['error']]);
    }

    /** The core's message for $code in $lang, not its English one (the browsers of these tests speak French). */
    private function message(string $code, string $lang): string
    {
        $verifier = new Passgate\Verifier(self::$emulator->options(['mode' => 'test', 'replay_store' => 'none']));
        $outcome = $verifier->validate("pt_test_$code");
        $this->assertSame($code, $outcome->code);
        if ($lang !== 'en') {
            $this->assertNotSame($outcome->message, $outcome->messageFor($lang));
        }
        return $outcome->messageFor($lang);
    }

    public function testFormFailureRedirectsBackAndTheFormShowsTheInputAndTheMessage(): void
    {
        $form = $this->send('GET', '/login-form');
        $this->assertSame(200, $form->getStatusCode());
        self::$emulator->script('pt_lpkg_html_pay', ['action' => 'pay']);
        $response = $this->send('POST', '/login', ['email' => 'ada@example.com', 'captchala_token' => 'pt_lpkg_html_pay']);
        $this->assertSame([302, 'http://localhost/login-form'], [$response->getStatusCode(), $response->headers->get('Location')]);
        // What the user typed is kept for old(), less the used token.
        $this->assertSame(['email' => 'ada@example.com'], $this->app['session.store']->getOldInput());
        $page = $this->send('GET', '/login-form')->getContent();
        $this->assertStringContainsString('<input name="email" value="ada@example.com">', $page);
        $this->assertStringContainsString('<p class="error">' . e($this->message('action_mismatch', 'fr')) . '</p>', $page);
    }

    public function testADoubleSubmitIsSeeOther(): void
    {
        $this->send('GET', '/login-form');
        self::$emulator->script('pt_lpkg_twice', ['action' => 'login']);
        $this->assertSame(200, $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_twice'])->getStatusCode());
        $response = $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_twice']);
        $this->assertSame([303, 'http://localhost/login-form'], [$response->getStatusCode(), $response->headers->get('Location')]);
        $this->assertStringContainsString('<p class="error">' . e($this->message('replayed', 'fr')) . '</p>', $this->send('GET', '/login-form')->getContent());
    }

    public function testTheRulePassesAndFailsWithTheOutcomesMessageInTheAppsLocale(): void
    {
        self::$emulator->script('pt_lpkg_rule_ok', ['action' => 'register']);
        $response = $this->send('POST', '/register', ['email' => 'ada@example.com', 'captchala_token' => 'pt_lpkg_rule_ok'], ['HTTP_X_FORWARDED_FOR' => '6.6.6.6']);
        $this->assertSame([200, ['ran' => true, 'code' => 'passed', 'ip' => '203.0.113.9']], [$response->getStatusCode(), $this->json($response)]);

        // The app's locale, not the browser's, as for every validation message.
        $this->app->setLocale('de');
        self::$emulator->script('pt_lpkg_rule_login', ['action' => 'login']);
        $this->send('GET', '/login-form');
        $response = $this->send('POST', '/register', ['email' => 'ada@example.com', 'captchala_token' => 'pt_lpkg_rule_login']);
        $this->assertSame([302, 'http://localhost/login-form'], [$response->getStatusCode(), $response->headers->get('Location')]);
        $errors = $this->app['session.store']->get('errors')->getBag('default')->toArray();
        $this->assertSame(['captchala_token' => [$this->message('action_mismatch', 'de')]], $errors);
        $this->assertSame('ada@example.com', $this->app['session.store']->getOldInput('email'));

        // The app's own line for its locale wins (lang/pt_BR/passgate.php).
        $this->app->setLocale('pt_BR');
        self::$emulator->script('pt_lpkg_rule_pt', ['action' => 'login']);
        $response = $this->send('POST', '/register', ['email' => 'ada@example.com', 'captchala_token' => 'pt_lpkg_rule_pt'], ['HTTP_ACCEPT' => 'application/json']);
        $this->assertSame([422, ['captchala_token' => ['Este formulário precisa de uma nova verificação.']]],
            [$response->getStatusCode(), $this->json($response)['errors']]);
    }

    public function testAMissingTokenGivesOneMessageAndNoUpstreamCall(): void
    {
        $calls = self::$emulator->stats()['validate_calls'];
        $response = $this->send('POST', '/register', ['email' => 'ada@example.com'], ['HTTP_ACCEPT' => 'application/json']);
        $this->assertSame([422, ['captchala_token' => ['The captchala token field is required.']]], [$response->getStatusCode(), $this->json($response)['errors']]);
        // Without `required` the rule itself refuses it.
        $response = $this->send('POST', '/subscribe', [], ['HTTP_ACCEPT' => 'application/json']);
        $this->assertSame([422, ['captchala_token' => [$this->message('missing_token', 'en')]]], [$response->getStatusCode(), $this->json($response)['errors']]);
        // A token that is not a string (captchala_token[]=...) is no token.
        $response = $this->send('POST', '/subscribe', ['captchala_token' => ['pt_lpkg_array']], ['HTTP_ACCEPT' => 'application/json']);
        $this->assertSame([422, ['captchala_token' => [$this->message('missing_token', 'en')]]], [$response->getStatusCode(), $this->json($response)['errors']]);
        $response = $this->send('POST', '/strict', ['captchala_token' => ['pt_lpkg_array']], ['HTTP_ACCEPT' => 'application/json']);
        $this->assertSame([422, ['captchala_token' => ['The captchala token must be a string.']]], [$response->getStatusCode(), $this->json($response)['errors']]);
        $this->assertSame($calls, self::$emulator->stats()['validate_calls']);
    }

    public function testValidationLinesMayWrapTheOutcomesMessage(): void
    {
        self::$emulator->script('pt_lpkg_wrapped', ['action' => 'pay']);
        $response = $this->send('POST', '/wrapped', ['wrapped_token' => 'pt_lpkg_wrapped'], ['HTTP_ACCEPT' => 'application/json']);
        $english = $this->message('action_mismatch', 'en');
        $this->assertSame([422, ['wrapped_token' => ["Captcha check: $english"]]], [$response->getStatusCode(), $this->json($response)['errors']]);
    }

    public function testTheBladeComponentRendersTheWidgetWithTheNonceAndLocale(): void
    {
        $this->app->setLocale('fr');
        $this->app['view']->share('cspNonce', 'shared-nonce');
        $page = $this->send('GET', '/login-form')->getContent();
        $verifier = $this->app->make(Passgate\Verifier::class);
        // The core's widget, as is: not escaped, not compiled as Blade.
        $widget = preg_replace('/id="passgate-\d+"/', 'id="passgate-N"', $verifier->widget(['action' => 'login', 'nonce' => 'shared-nonce', 'lang' => 'fr']));
        $pay = preg_replace('/id="passgate-\d+"/', 'id="passgate-N"', $verifier->widget(['action' => 'pay', 'nonce' => 'from-the-attribute', 'lang' => 'de']));
        $page = preg_replace('/id="passgate-\d+"/', 'id="passgate-N"', $page);
        $this->assertStringContainsString($widget, $page);
        $this->assertStringContainsString($pay, $page);
        $this->assertStringContainsString('<script nonce="shared-nonce">', $page);
        $this->assertNotSame($widget, preg_replace('/id="passgate-\d+"/', 'id="passgate-N"', $verifier->widget(['action' => 'login', 'nonce' => 'shared-nonce', 'lang' => 'en'])),
            'the hint follows the locale');
    }

    public function testTheBladeComponentTakesVitesNonce(): void
    {
        // Laravel 9.x and later: Illuminate\Foundation\Vite (a stand-in here; Laravel 8 has none).
        require_once __DIR__ . '/fixtures/laravel/Vite.php';
        $vite = new Illuminate\Foundation\Vite();
        $vite->useCspNonce('vite-nonce');
        $this->app->instance(Illuminate\Foundation\Vite::class, $vite);
        $this->app['view']->share('cspNonce', 'shared-nonce');
        $page = $this->send('GET', '/login-form')->getContent();
        $this->assertSame(1, substr_count($page, '<script nonce="vite-nonce">'));
        $this->assertSame(1, substr_count($page, '<script nonce="from-the-attribute">'));
        $this->assertStringNotContainsString('shared-nonce', $page);
    }

    public function testOnOutcomeFromTheConfigIsCalledAfterTheLogRecord(): void
    {
        // A class name (what config:cache can keep), made by the container.
        $this->app['config']->set('passgate.on_outcome', PassgateTestOutcomeCounter::class);
        $this->app->singleton(PassgateTestOutcomeCounter::class);
        self::$emulator->script('pt_lpkg_hook', ['action' => 'login']);
        $this->assertSame(200, $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_hook'])->getStatusCode());
        $this->send('POST', '/login', ['captchala_token' => 'pt_lpkg_hook']);
        // [code, log records written when it was called]
        $this->assertSame([['passed', 1], ['replayed', 2]], $this->app->make(PassgateTestOutcomeCounter::class)->calls);
    }

    public function testArtisanPassgateDoctorChecksTheAppsConfiguration(): void
    {
        $artisan = new Illuminate\Console\Application($this->app, $this->app['events'], 'test');
        $status = $artisan->call('passgate:doctor');
        $text = $artisan->output();
        $this->assertSame(0, $status, $text);
        $this->assertMatchesRegularExpression('/^✓ keys +CaptchaLa accepted/m', $text);
        $this->assertMatchesRegularExpression('/^    app_key +"test-app-key"  \[config\/passgate\.php\]$/m', $text);
        $this->assertStringEndsWith("\n0 failed, 0 warning(s)\n", $text);

        // A wrong secret: exit 1, the keys check failed, the secret nowhere.
        $this->app['config']->set('passgate.app_secret', 'lpkg-secret-never-printed');
        $this->assertSame(1, $artisan->call('passgate:doctor', ['--json' => true]));
        $json = $artisan->output();
        $report = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
        $this->assertFalse($report['ok']);
        $this->assertSame('fail', array_column($report['checks'], 'status', 'name')['keys']);
        $this->assertSame(1, $artisan->call('passgate:doctor'));
        $this->assertStringNotContainsString('lpkg-secret-never-printed', $json . $artisan->output());
    }
}
