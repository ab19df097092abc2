<?php
// The Laravel package's `captcha` middleware (php-ext/laravel/src/RequireCaptcha.php),
// driven directly with Illuminate\Http\Request from Debian's php-laravel-framework.
// LaravelPackageTest runs it in a whole application.

use PHPUnit\Framework\TestCase;

final class LaravelMiddlewareTest extends TestCase
{
    private static Emulator $emulator;

    private static Passgate\Verifier $verifier;

    public static function setUpBeforeClass(): void
    {
        require_once '/usr/share/php/Illuminate/Http/autoload.php';
        // For the HTML branch: the redirector and session, and Laravel's own
        // global helpers (redirect(), app()), without booting an application.
        require_once '/usr/share/php/Illuminate/Routing/autoload.php';
        require_once '/usr/share/php/Illuminate/Foundation/helpers.php';
        // The app's own messages: Illuminate\Translation's Translator and FileLoader.
        require_once '/usr/share/php/Illuminate/Translation/autoload.php';
        // The package's sources (unless LaravelPackageTest's Composer install loaded them).
        foreach (['Messages', 'RequireCaptcha'] as $class) {
            if (!class_exists("Passgate\\Laravel\\$class")) {
                require_once dirname(__DIR__) . "/laravel/src/$class.php";
            }
        }
        self::$emulator = new Emulator();
        self::$verifier = new Passgate\Verifier(self::$emulator->options());
    }

    /** The temporary lang directory of translator() (in a directory of its own), removed after each test. */
    private ?string $langDir = null;

    protected function tearDown(): void
    {
        Illuminate\Container\Container::setInstance(null);
        if ($this->langDir !== null) {
            $base = dirname($this->langDir);
            array_map('unlink', glob("$base/*/*/passgate.php"));
            array_map('rmdir', glob("$base/*/*"));
            array_map('rmdir', glob("$base/*"));
            rmdir($base);
        }
    }

    /** Runs the middleware; returns [response, request, whether the route ran]. */
    private function throughMiddleware(Illuminate\Http\Request $request, ?string $action, ?Passgate\Verifier $verifier = null): array
    {
        $ran = false;
        $middleware = new Passgate\Laravel\RequireCaptcha($verifier ?? self::$verifier, Illuminate\Container\Container::getInstance());
        $response = $middleware->handle($request, function ($request) use (&$ran) {
            $ran = true;
            return new Illuminate\Http\JsonResponse(['code' => $request->attributes->get('passgate')->code,
                'ip' => $request->attributes->get('passgate')->logFields['client_ip']]);
        }, $action);
        return [$response, $request, $ran];
    }

    private function handle(array $form, array $server = [], ?string $action = 'login', ?Passgate\Verifier $verifier = null): array
    {
        $request = Illuminate\Http\Request::create('/login', 'POST', $form, [], [], $server + ['REMOTE_ADDR' => '198.51.100.4', 'HTTP_ACCEPT' => 'application/json']);
        [$response, , $ran] = $this->throughMiddleware($request, $action, $verifier);
        return [$response->getStatusCode(), json_decode($response->getContent(), true), $ran];
    }

    /**
     * A browser form post, with what a Laravel app provides the middleware:
     * a session (StartSession records the form's URL as the previous one) and
     * the `redirect` service in the container. Returns [response, session, outcome, ran].
     */
    private function submitForm(array $form, ?Passgate\Verifier $verifier = null, string $language = 'fr-FR, fr;q=0.9', ?Illuminate\Translation\Translator $translator = null): array
    {
        $request = Illuminate\Http\Request::create('/login', 'POST', $form, [], [], ['REMOTE_ADDR' => '198.51.100.4',
            'HTTP_ACCEPT' => 'text/html,application/xhtml+xml', 'HTTP_ACCEPT_LANGUAGE' => $language]);
        $session = new Illuminate\Session\Store('laravel_session', new Illuminate\Session\ArraySessionHandler(120));
        $session->setPreviousUrl('http://localhost/login-form');
        $request->setLaravelSession($session);
        $url = new Illuminate\Routing\UrlGenerator(new Illuminate\Routing\RouteCollection(), $request);
        $url->setSessionResolver(fn () => $session);
        $redirector = new Illuminate\Routing\Redirector($url);
        $redirector->setSession($session);
        $container = new Illuminate\Container\Container();
        $container->instance('redirect', $redirector);
        if ($translator !== null) {
            $container->instance('translator', $translator);
        }
        Illuminate\Container\Container::setInstance($container);
        [$response, $request, $ran] = $this->throughMiddleware($request, 'login', $verifier);
        return [$response, $session, $request->attributes->get('passgate'), $ran];
    }

    public function testPassRunsTheRoute(): void
    {
        self::$emulator->script('pt_laravel_ok', ['action' => 'login']);
        [$status, $body, $ran] = $this->handle(['captchala_token' => 'pt_laravel_ok'], ['HTTP_X_FORWARDED_FOR' => '6.6.6.6']);
        $this->assertSame([200, 'passed', '198.51.100.4', true], [$status, $body['code'], $body['ip'], $ran]);
    }

    public function testFailuresAnswerAndTheRouteNeverRuns(): void
    {
        self::$emulator->script('pt_laravel_pay', ['action' => 'pay']);
        self::$emulator->script('pt_laravel_down', ['http_status' => 503]);
        foreach ([[[], 400, 'missing_token'], [['captchala_token' => 'pt_laravel_pay'], 400, 'action_mismatch'],
                  [['captchala_token' => 'pt_laravel_down'], 503, 'upstream_unavailable']] as [$form, $expected, $code]) {
            [$status, $body, $ran] = $this->handle($form);
            $this->assertSame([$expected, $code, false], [$status, $body['error'], $ran]);
            $this->assertNotEmpty($body['message']);
        }
    }

    public function testTokenThatIsNotAStringIsMissingToken(): void
    {
        self::$emulator->script('pt_laravel_shape', ['action' => 'login']);
        $calls = self::$emulator->stats()['validate_calls'];
        $server = ['REMOTE_ADDR' => '198.51.100.4', 'HTTP_ACCEPT' => 'application/json'];
        $requests = [];
        // Form bodies through PHP's own form parser, as $_POST gets them.
        foreach (['captchala_token[]=pt_laravel_shape', 'captchala_token[x]=pt_laravel_shape'] as $body) {
            parse_str($body, $form);
            $requests[$body] = Illuminate\Http\Request::create('/login', 'POST', $form, [], [], $server);
        }
        foreach (['{"captchala_token": ["pt_laravel_shape"]}', '{"captchala_token": {"a": 1}}'] as $body) {
            $requests[$body] = Illuminate\Http\Request::create('/login', 'POST', [], [], [], $server + ['CONTENT_TYPE' => 'application/json'], $body);
        }
        foreach ($requests as $body => $request) {
            [$response, , $ran] = $this->throughMiddleware($request, 'login');
            $answer = json_decode($response->getContent(), true);
            $this->assertSame([400, 'missing_token', false], [$response->getStatusCode(), $answer['error'] ?? null, $ran], $body);
        }
        $this->assertSame($calls, self::$emulator->stats()['validate_calls']);
    }

    public function testHtmlFormFailureRedirectsBackWithInputAndTheErrorOnTheTokenField(): void
    {
        self::$emulator->script('pt_laravel_html_pay', ['action' => 'pay']);
        [$response, $session, $outcome, $ran] = $this->submitForm(['email' => 'ada@example.com', 'captchala_token' => 'pt_laravel_html_pay']);
        $this->assertInstanceOf(Illuminate\Http\RedirectResponse::class, $response);
        $this->assertSame([302, 'http://localhost/login-form', 'action_mismatch', false],
            [$response->getStatusCode(), $response->getTargetUrl(), $outcome->code, $ran]);
        // What the user typed comes back through old(), without the used token.
        $this->assertSame(['email' => 'ada@example.com'], $session->getOldInput());
        // The message is on the token field, in the browser's language.
        $errors = $session->get('errors');
        $this->assertInstanceOf(Illuminate\Support\ViewErrorBag::class, $errors);
        $this->assertSame(['captchala_token' => [$outcome->messageFor('fr')]], $errors->getBag('default')->toArray());
        $this->assertNotSame($outcome->message, $outcome->messageFor('fr'));
    }

    public function testHtmlFormPassRunsTheRouteAndADoubleSubmitIsSeeOther(): void
    {
        self::$emulator->script('pt_laravel_html_twice', ['action' => 'login']);
        [$response, $session, $outcome, $ran] = $this->submitForm(['captchala_token' => 'pt_laravel_html_twice']);
        $this->assertSame([200, 'passed', true, null], [$response->getStatusCode(), $outcome->code, $ran, $session->get('errors')]);
        [$response, $session, $outcome, $ran] = $this->submitForm(['captchala_token' => 'pt_laravel_html_twice']);
        $this->assertSame([303, 'http://localhost/login-form', 'replayed', false],
            [$response->getStatusCode(), $response->getTargetUrl(), $outcome->code, $ran]);
        $this->assertSame([], $session->getOldInput());
        $this->assertSame([$outcome->messageFor('fr')], $session->get('errors')->get('captchala_token'));
    }

    private function recaptcha(): Passgate\Verifier
    {
        return new Passgate\Verifier(['provider' => 'recaptcha', 'secret_key' => 'test-secret-key', 'api_base' => self::$emulator->url,
            'environment' => 'test', 'min_score' => 0.5, 'expected_hostnames' => ['localhost']]);
    }

    public function testRecaptchaReadsGRecaptchaResponse(): void
    {
        $verifier = $this->recaptcha();
        self::$emulator->script('rc_laravel_ok', ['action' => 'login', 'score' => 0.9]);
        self::$emulator->script('rc_laravel_other_field', ['action' => 'login', 'score' => 0.9]);
        $calls = self::$emulator->stats()['siteverify_calls'];
        [$status, $body, $ran] = $this->handle(['g-recaptcha-response' => 'rc_laravel_ok'], [], 'login', $verifier);
        $this->assertSame([200, 'passed', '198.51.100.4', true], [$status, $body['code'], $body['ip'], $ran]);
        [$status, $body, $ran] = $this->handle(['captchala_token' => 'rc_laravel_other_field'], [], 'login', $verifier);
        $this->assertSame([400, 'missing_token', false], [$status, $body['error'], $ran]);
        $this->assertSame($calls + 1, self::$emulator->stats()['siteverify_calls']);
    }

    public function testRecaptchaHtmlFailurePutsTheErrorOnGRecaptchaResponse(): void
    {
        self::$emulator->script('rc_laravel_html_low', ['action' => 'login', 'score' => 0.2]);
        [$response, $session, $outcome, $ran] = $this->submitForm(['email' => 'ada@example.com', 'g-recaptcha-response' => 'rc_laravel_html_low'], $this->recaptcha());
        $this->assertSame([302, 'score_too_low', false], [$response->getStatusCode(), $outcome->code, $ran]);
        $this->assertSame(['email' => 'ada@example.com'], $session->getOldInput());
        $this->assertSame(['g-recaptcha-response' => [$outcome->messageFor('fr')]], $session->get('errors')->getBag('default')->toArray());
    }

    private const PT_BR_REPLAYED = 'Este captcha já foi usado. Resolva-o de novo.';
    private const DE_REPLAYED = 'Schon benutzt: bitte ein neues Rätsel lösen.';
    private const EN_ACTION_MISMATCH = 'This form needs a fresh check (the app\'s own English).';

    private const OUTSIDE = 'A file outside lang/ that a crafted Accept-Language would reach.';

    /**
     * An app's translator as Laravel's TranslationServiceProvider builds it:
     * a FileLoader over the app's lang directory, locale and fallback `en`.
     * The directory holds pt_BR/, de/ and en/passgate.php; a sibling
     * directory, outside/evil/passgate.php.
     */
    private function translator(): Illuminate\Translation\Translator
    {
        $base = sys_get_temp_dir() . '/passgate-lang-' . getmypid();
        $dir = "$base/lang";
        $files = ['pt_BR' => ['replayed' => self::PT_BR_REPLAYED], 'de' => ['replayed' => self::DE_REPLAYED],
            'en' => ['action_mismatch' => self::EN_ACTION_MISMATCH], '../outside/evil' => ['replayed' => self::OUTSIDE]];
        foreach ($files as $locale => $lines) {
            @mkdir("$dir/$locale", 0700, true);
            file_put_contents("$dir/$locale/passgate.php", '<?php return ' . var_export($lines, true) . ';');
        }
        $this->langDir = $dir;
        $translator = new Illuminate\Translation\Translator(new Illuminate\Translation\FileLoader(new Illuminate\Filesystem\Filesystem(), $dir), 'en');
        $translator->setFallback('en');
        return $translator;
    }

    public function testTheAppsTranslationWinsForItsLocale(): void
    {
        $translator = $this->translator();
        self::$emulator->script('pt_laravel_pt_br', ['action' => 'login']);
        [$response, $session, $outcome, $ran] = $this->submitForm(['captchala_token' => 'pt_laravel_pt_br'], null, 'pt-BR, pt;q=0.9', $translator);
        $this->assertSame([200, true], [$response->getStatusCode(), $ran]);
        [$response, $session, $outcome, $ran] = $this->submitForm(['captchala_token' => 'pt_laravel_pt_br'], null, 'pt-BR, pt;q=0.9', $translator);
        $this->assertSame([303, 'replayed', false], [$response->getStatusCode(), $outcome->code, $ran]);
        $this->assertSame([self::PT_BR_REPLAYED], $session->get('errors')->get('captchala_token'));

        // JSON answers speak it too.
        Illuminate\Container\Container::getInstance()->instance('translator', $translator);
        [$status, $body] = $this->handle(['captchala_token' => 'pt_laravel_pt_br'], ['HTTP_ACCEPT_LANGUAGE' => 'pt-BR']);
        $this->assertSame([409, 'replayed', self::PT_BR_REPLAYED], [$status, $body['error'], $body['message']]);
        // A regional locale without its own file takes its language's line (de_AT: de).
        [$status, $body] = $this->handle(['captchala_token' => 'pt_laravel_pt_br'], ['HTTP_ACCEPT_LANGUAGE' => 'de-AT, de;q=0.8']);
        $this->assertSame([409, self::DE_REPLAYED], [$status, $body['message']]);
        // A locale from the header never leaves lang/ (FileLoader would follow ../).
        $this->assertSame(self::OUTSIDE, $translator->get('passgate.replayed', [], '../outside/evil', false), 'the trap is armed');
        foreach (['../outside/evil', '..\\outside\\evil, en;q=0.5'] as $header) {
            [$status, $body] = $this->handle(['captchala_token' => 'pt_laravel_pt_br'], ['HTTP_ACCEPT_LANGUAGE' => $header]);
            $this->assertSame([409, 'replayed'], [$status, $body['error']], $header);
            $this->assertNotSame(self::OUTSIDE, $body['message'], $header);
            $this->assertNotSame('passgate.replayed', $body['message'], $header);
        }
    }

    public function testACodeWithoutALineTakesTheCoresMessage(): void
    {
        $translator = $this->translator();
        self::$emulator->script('pt_laravel_pt_br_pay', ['action' => 'pay']);
        // pt_BR has no action_mismatch line (and the core no Portuguese): the core's message.
        [$response, $session, $outcome] = $this->submitForm(['captchala_token' => 'pt_laravel_pt_br_pay'], null, 'pt-BR', $translator);
        $this->assertSame([302, 'action_mismatch'], [$response->getStatusCode(), $outcome->code]);
        $this->assertSame([$outcome->messageFor('pt_BR')], $session->get('errors')->get('captchala_token'));
        $this->assertNotSame(self::EN_ACTION_MISMATCH, $outcome->messageFor('pt_BR'));
        // French has no file: the core's French, not the app's English fallback line.
        self::$emulator->script('pt_laravel_fr_pay', ['action' => 'pay']);
        [, $session, $outcome] = $this->submitForm(['captchala_token' => 'pt_laravel_fr_pay'], null, 'fr-FR, fr;q=0.9', $translator);
        $this->assertSame([$outcome->messageFor('fr')], $session->get('errors')->get('captchala_token'));
        // An English browser gets the app's English line.
        self::$emulator->script('pt_laravel_en_pay', ['action' => 'pay']);
        [, $session] = $this->submitForm(['captchala_token' => 'pt_laravel_en_pay'], null, 'en-GB, en;q=0.9', $translator);
        $this->assertSame([self::EN_ACTION_MISMATCH], $session->get('errors')->get('captchala_token'));
        // German has a file, but no missing_token line: the core's German.
        Illuminate\Container\Container::getInstance()->instance('translator', $translator);
        [$status, $body] = $this->handle([], ['HTTP_ACCEPT_LANGUAGE' => 'de-DE']);
        $german = self::$verifier->validate(null)->messageFor('de');
        $this->assertSame([400, 'missing_token', $german], [$status, $body['error'], $body['message']]);
        $this->assertNotSame(self::$verifier->validate(null)->message, $german);
    }
}
