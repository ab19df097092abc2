<?php
// The Symfony bundle (php-ext/symfony/) with Debian's Symfony 5.4: a small
// kernel with FrameworkBundle, TwigBundle and PassgateBundle, requests handled
// by its HttpKernel against the emulator (the form type, the Twig function,
// the constraint on a DTO, trusted proxies), and the `passgate:` tree compiled
// into containers of its own.

use Passgate\Symfony\DependencyInjection\PassgateExtension;
use Passgate\Verifier;
use PassgateTest\Symfony\TestKernel;
use PHPUnit\Framework\TestCase;
use Symfony\Component\Config\Definition\Exception\InvalidConfigurationException;
use Symfony\Component\DependencyInjection\ContainerBuilder;
use Symfony\Component\HttpFoundation\Request;
use Symfony\Component\HttpFoundation\RequestStack;
use Symfony\Component\HttpFoundation\Response;
use Symfony\Component\HttpKernel\HttpKernelInterface;

final class SymfonyBundleTest extends TestCase
{
    private const PACKAGE = __DIR__ . '/../symfony';

    private static Emulator $emulator;

    private static string $dir;

    private static TestKernel $kernel;

    public static function setUpBeforeClass(): void
    {
        foreach (['Bundle/FrameworkBundle', 'Bundle/TwigBundle', 'Bridge/Twig', 'Component/Form', 'Component/Validator', 'Component/Translation'] as $part) {
            require_once "/usr/share/php/Symfony/$part/autoload.php";
        }
        require_once __DIR__ . '/fixtures/composer.php';
        self::$dir = sys_get_temp_dir() . '/passgate-symfony-' . getmypid();
        mkdir(self::$dir, 0700, true);
        // `composer require passgate/symfony-bundle` from the path repository:
        // the bundle's classes and templates come from vendor/.
        composer_install(self::$dir, self::PACKAGE, 'passgate/symfony-bundle', array_fill_keys(['symfony/config',
            'symfony/dependency-injection', 'symfony/http-foundation', 'symfony/http-kernel', 'symfony/validator'], Symfony\Component\HttpKernel\Kernel::VERSION));
        require self::$dir . '/vendor/autoload.php';
        require_once __DIR__ . '/fixtures/symfony/TestKernel.php';
        self::$emulator = new Emulator();
        self::$kernel = new TestKernel(self::$dir, self::$emulator->options() + ['logger' => 'test.passgate_logger', 'on_outcome' => 'test.outcome_counter']);
        self::$kernel->boot();
    }

    public static function tearDownAfterClass(): void
    {
        self::$kernel->shutdown();
        Request::setTrustedProxies([], -1);
        (new Symfony\Component\Filesystem\Filesystem())->remove(self::$dir);
    }

    private function send(string $method, string $uri, array $form = [], array $server = []): Response
    {
        $request = Request::create("http://localhost$uri", $method, $form, [], [], $server + ['REMOTE_ADDR' => '203.0.113.9']);
        // catch: false, so that an exception fails the test with its own message.
        $response = self::$kernel->handle($request, HttpKernelInterface::MAIN_REQUEST, false);
        self::$kernel->terminate($request, $response);
        return $response;
    }

    private function logger(): PassgateTest\Symfony\TestLogger
    {
        return self::$kernel->getContainer()->get('test.passgate_logger');
    }

    /** The core's message for $code in $lang, not its English one unless $lang is en. */
    private function message(string $code, string $lang): string
    {
        $outcome = (new Verifier(self::$emulator->options(['mode' => 'test', 'replay_store' => 'none'])))->validate("pt_test_$code");
        $this->assertSame($code, $outcome->code);
        if ($lang !== 'en') {
            $this->assertNotSame($outcome->message, $outcome->messageFor($lang));
        }
        return $outcome->messageFor($lang);
    }

    private static function widgetIds(string $html): string
    {
        return preg_replace('/id="passgate-\d+"/', 'id="passgate-N"', $html);
    }

    public function testTheVerifierIsOneConfiguredAutowirableService(): void
    {
        // The bundle as Composer installed it.
        $this->assertSame(self::$dir . '/vendor/passgate/symfony-bundle', self::$kernel->getBundle('PassgateBundle')->getPath());
        $container = self::$kernel->getContainer();
        $verifier = $container->get('passgate.verifier');
        $this->assertInstanceOf(Verifier::class, $verifier);
        $this->assertSame($verifier, $container->get('test.service_container')->get(Verifier::class));
        $this->assertSame(self::$emulator->url, $verifier->__debugInfo()['api_base']);
        // A controller argument typed Passgate\Verifier gets it.
        $this->assertSame('captchala', $this->send('GET', '/plain')->headers->get('X-Provider'));
    }

    public function testTheFormRendersTheWidgetWithTheRequestsNonceAndLocale(): void
    {
        $response = $this->send('GET', '/fr/form');
        $verifier = self::$kernel->getContainer()->get('passgate.verifier');
        $this->assertSame(200, $response->getStatusCode());
        $this->assertStringContainsString(self::widgetIds($verifier->widget(['action' => 'login', 'lang' => 'fr'])), self::widgetIds($response->getContent()));
        $this->assertStringContainsString('name="form[email]"', $response->getContent());
        $this->assertStringNotContainsString('name="form[captcha]"', $response->getContent());

        // The request attribute csp_nonce, where the app's CSP listener puts it.
        $request = Request::create('http://localhost/en/form');
        $request->attributes->set('csp_nonce', 'request-nonce');
        $html = self::$kernel->handle($request, HttpKernelInterface::MAIN_REQUEST, false)->getContent();
        $this->assertSame(1, substr_count($html, '<script nonce="request-nonce">'));
        $this->assertStringContainsString(self::widgetIds($verifier->widget(['action' => 'login', 'lang' => 'en', 'nonce' => 'request-nonce'])), self::widgetIds($html));
    }

    public function testTheTwigFunctionRendersTheWidget(): void
    {
        $html = $this->send('GET', '/plain')->getContent();
        $verifier = self::$kernel->getContainer()->get('passgate.verifier');
        $this->assertSame('<form method="post" action="/login">' . self::widgetIds($verifier->widget(['action' => 'login', 'lang' => 'en'])) . "</form>\n",
            self::widgetIds($html));
    }

    public function testAPassSubmitsTheFormWithTheClientIp(): void
    {
        self::$emulator->script('pt_sf_ok', ['action' => 'login']);
        $before = count($this->logger()->records);
        // The token in the provider's own top-level field, as its script posts it.
        $response = $this->send('POST', '/en/form', ['form' => ['email' => 'ada@example.com'], 'captchala_token' => 'pt_sf_ok'],
            ['HTTP_X_FORWARDED_FOR' => '6.6.6.6']);
        // 203.0.113.9 is no trusted proxy: its X-Forwarded-For is not believed.
        $this->assertSame([200, '{"ran":true,"code":"passed","ip":"203.0.113.9"}'], [$response->getStatusCode(), $response->getContent()]);
        $this->assertSame([['info', 'passed']], array_map(fn ($r) => [$r[0], $r[2]['outcome']], array_slice($this->logger()->records, $before)));
    }

    public function testBehindATrustedProxyTheForwardedAddressIsTheClient(): void
    {
        self::$emulator->script('pt_sf_proxy', ['action' => 'login']);
        $response = $this->send('POST', '/en/form', ['form' => ['email' => 'ada@example.com'], 'captchala_token' => 'pt_sf_proxy'],
            ['REMOTE_ADDR' => '198.51.100.4', 'HTTP_X_FORWARDED_FOR' => '6.6.6.6']);
        $this->assertSame('6.6.6.6', json_decode($response->getContent(), true)['ip']);
    }

    public function testAFailureShowsTheOutcomesMessageOnTheFormWithTheInputKept(): void
    {
        self::$emulator->script('pt_sf_pay', ['action' => 'pay']);
        $response = $this->send('POST', '/fr/form', ['form' => ['email' => 'ada@example.com'], 'captchala_token' => 'pt_sf_pay']);
        $html = $response->getContent();
        $this->assertSame(400, $response->getStatusCode());
        $this->assertStringContainsString('<li>' . htmlspecialchars($this->message('action_mismatch', 'fr'), ENT_QUOTES) . '</li>', $html);
        $this->assertStringContainsString('value="ada@example.com"', $html);
        $this->assertStringNotContainsString('pt_sf_pay', $html);
        $this->assertSame('warning', array_slice($this->logger()->records, -1)[0][0]);

        // The same token again: replayed, 409.
        self::$emulator->script('pt_sf_twice', ['action' => 'login']);
        $this->assertSame(200, $this->send('POST', '/de/form', ['form' => ['email' => 'a'], 'captchala_token' => 'pt_sf_twice'])->getStatusCode());
        $response = $this->send('POST', '/de/form', ['form' => ['email' => 'a'], 'captchala_token' => 'pt_sf_twice']);
        $this->assertSame(409, $response->getStatusCode());
        $this->assertStringContainsString(htmlspecialchars($this->message('replayed', 'de'), ENT_QUOTES), $response->getContent());
    }

    public function testAMissingOrMisshapenTokenIsMissingTokenWithoutAnUpstreamCall(): void
    {
        $calls = self::$emulator->stats()['validate_calls'];
        foreach ([['form' => ['email' => 'a']], ['form' => ['email' => 'a'], 'captchala_token' => ['pt_sf_array']],
                  ['form' => ['email' => 'a'], 'captchala_token' => '']] as $form) {
            $response = $this->send('POST', '/fr/form', $form);
            $this->assertSame(400, $response->getStatusCode());
            $this->assertStringContainsString(htmlspecialchars($this->message('missing_token', 'fr'), ENT_QUOTES), $response->getContent());
        }
        $this->assertSame($calls, self::$emulator->stats()['validate_calls']);
    }

    public function testTheAppsTranslationWinsForItsLocaleOnly(): void
    {
        self::$emulator->script('pt_sf_pt', ['action' => 'pay']);
        $html = $this->send('POST', '/pt_BR/form', ['form' => ['email' => 'a'], 'captchala_token' => 'pt_sf_pt'])->getContent();
        $this->assertStringContainsString('Este formulário precisa de uma nova verificação.', $html);
        // French has no line: the core's French, not the app's English line.
        self::$emulator->script('pt_sf_fr', ['action' => 'pay']);
        $html = $this->send('POST', '/fr/form', ['form' => ['email' => 'a'], 'captchala_token' => 'pt_sf_fr'])->getContent();
        $this->assertStringNotContainsString('the app&#039;s own English', $html);
        self::$emulator->script('pt_sf_en', ['action' => 'pay']);
        $html = $this->send('POST', '/en/form', ['form' => ['email' => 'a'], 'captchala_token' => 'pt_sf_en'])->getContent();
        $this->assertStringContainsString('the app&#039;s own English', $html);
    }

    public function testTheConstraintOnADto(): void
    {
        self::$emulator->script('pt_sf_dto_ok', ['action' => 'signup']);
        self::$emulator->script('pt_sf_dto_login', ['action' => 'login']);
        $this->assertSame('[]', $this->send('POST', '/dto', ['token' => 'pt_sf_dto_ok'])->getContent());
        $violations = json_decode($this->send('POST', '/dto', ['token' => 'pt_sf_dto_login'])->getContent(), true);
        // The outcome code as the violation's code; never the token as the invalid value.
        // In the request's locale (en, the default): the app's English line.
        $this->assertSame([['token', 'action_mismatch', "This form needs a fresh check (the app's own English).", null]], $violations);
        $violations = json_decode($this->send('POST', '/dto', [])->getContent(), true);
        $this->assertSame([['token', 'missing_token', $this->message('missing_token', 'en'), null]], $violations);
    }

    /** The `passgate:` tree compiled into a container of its own; returns its verifier. */
    private function verifierFrom(array $config): Verifier
    {
        $builder = new ContainerBuilder();
        $builder->registerExtension(new PassgateExtension());
        $builder->loadFromExtension('passgate', $config);
        $builder->register('request_stack', RequestStack::class);
        $builder->compile();
        return $builder->get('passgate.verifier');
    }

    public function testTheConfigTreeHasEveryOptionAndReachesTheVerifier(): void
    {
        $turnstile = $this->verifierFrom(['provider' => 'turnstile', 'secret_key' => 'test-secret-key', 'site_key' => '1x00000000000000000000AA',
            'environment' => 'test', 'api_base' => self::$emulator->url, 'expected_hostnames' => 'localhost, example.com', 'timeout_ms' => 1500,
            'logger' => null]);
        $this->assertSame(['turnstile', 'cf-turnstile-response'], [$turnstile->provider(), $turnstile->formField()]);
        $this->assertStringContainsString('data-sitekey="1x00000000000000000000AA"', $turnstile->widget());
        // expected_hostnames reaches it: a token solved on another host is refused.
        self::$emulator->script('ts_sf_host', ['hostname' => 'evil.example']);
        self::$emulator->script('ts_sf_ok', ['hostname' => 'example.com']);
        $this->assertSame(['hostname_mismatch', 'passed'], [$turnstile->validate('ts_sf_host')->code, $turnstile->validate('ts_sf_ok')->code]);
        // A CaptchaLa-only boolean.
        $captchala = $this->verifierFrom(self::$emulator->options(['allow_degraded' => true, 'logger' => null]));
        $this->assertSame('captchala', $captchala->provider());

        // Every option of the core's table (`passgate options`), logger and on_outcome.
        $table = shell_exec(escapeshellarg(getenv('PASSGATE_BIN') ?: REPO . '/target/debug/passgate') . ' options');
        $options = array_map(fn ($line) => strtok($line, ' '), array_values(array_filter(explode("\n", (string) $table))));
        $this->assertContains('fail_open_on_store_error', $options);
        $tree = (new Passgate\Symfony\DependencyInjection\Configuration())->getConfigTreeBuilder()->buildTree();
        $this->assertEqualsCanonicalizing([...$options, 'logger', 'on_outcome'], array_keys($tree->getChildren()));

        // A misspelt option is the container's error, naming it.
        try {
            $this->verifierFrom(['secret_keys' => 'x']);
            $this->fail('an unknown option was accepted');
        } catch (InvalidConfigurationException $e) {
            $this->assertStringContainsString('secret_keys', $e->getMessage());
        }
    }

    public function testABadOptionIsTheExtensionsConfigExceptionWhenTheVerifierIsFirstUsed(): void
    {
        $this->expectException(Passgate\ConfigException::class);
        $this->expectExceptionMessage('app_key');
        $this->verifierFrom(['provider' => 'turnstile', 'secret_key' => 's', 'app_key' => 'k', 'environment' => 'test', 'logger' => null]);
    }

    public function testOnOutcomeIsTheConfiguredServiceCalledAfterTheLogRecord(): void
    {
        $counter = self::$kernel->getContainer()->get('test.outcome_counter');
        $counter->calls = [];
        $this->logger()->records = [];
        self::$emulator->script('pt_sf_hook', ['action' => 'login']);
        $this->send('POST', '/en/form', ['form' => ['email' => 'ada@example.com'], 'captchala_token' => 'pt_sf_hook']);
        // [code, log records written when it was called]
        $this->assertSame([['passed', 1]], $counter->calls);
        // A service that does not exist is the container's error.
        $this->expectException(Symfony\Component\DependencyInjection\Exception\ServiceNotFoundException::class);
        $this->verifierFrom(self::$emulator->options(['logger' => null, 'on_outcome' => 'no.such.service']));
    }

    public function testBinConsolePassgateDoctorChecksTheAppsConfiguration(): void
    {
        // The app's console (bin/console), which finds the command by its tag.
        $console = new Symfony\Bundle\FrameworkBundle\Console\Application(self::$kernel);
        $console->setAutoExit(false);
        $tester = new Symfony\Component\Console\Tester\ApplicationTester($console);
        $this->assertSame(0, $tester->run(['command' => 'passgate:doctor']), $tester->getDisplay());
        $text = $tester->getDisplay();
        $this->assertMatchesRegularExpression('/^✓ keys +CaptchaLa accepted/m', $text);
        $this->assertMatchesRegularExpression('/^    app_key +"test-app-key"  \[config\/packages\/passgate\.yaml\]$/m', $text);
        $this->assertStringEndsWith("\n0 failed, 0 warning(s)\n", $text);

        // A wrong secret: exit 1, the keys check failed, the secret nowhere.
        $builder = new ContainerBuilder();
        $builder->registerExtension(new PassgateExtension());
        $builder->loadFromExtension('passgate', self::$emulator->options(['app_secret' => 'sf-secret-never-printed', 'logger' => null]));
        $builder->register('request_stack', RequestStack::class);
        $builder->setAlias('test.passgate_doctor', Passgate\Symfony\Command\DoctorCommand::class)->setPublic(true);
        $builder->compile();
        $command = new Symfony\Component\Console\Tester\CommandTester($builder->get('test.passgate_doctor'));
        $this->assertSame(1, $command->execute(['--json' => true]));
        $json = $command->getDisplay();
        $report = json_decode($json, true, 512, JSON_THROW_ON_ERROR);
        $this->assertFalse($report['ok']);
        $this->assertSame('fail', array_column($report['checks'], 'status', 'name')['keys']);
        $this->assertSame(1, $command->execute([]));
        $this->assertStringNotContainsString('sf-secret-never-printed', $json . $command->getDisplay());
    }
}
