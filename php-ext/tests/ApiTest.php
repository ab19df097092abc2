<?php
// The PHP API: options, outcomes, logger, errors, bad input, secrets, stub.

use PHPUnit\Framework\TestCase;

final class ApiTest extends TestCase
{
    private const SECRET = 'sk_live_VERY_SECRET_value';
    private static Emulator $emulator;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator();
    }

    private function verifier(array $overrides = []): Passgate\Verifier
    {
        return new Passgate\Verifier(self::$emulator->options($overrides));
    }

    public function testValidatePassesWithEveryProperty(): void
    {
        self::$emulator->script('pt_php_attrs', ['action' => 'login', 'uid' => 'user-1', 'risk_score' => 33, 'challenge_id' => 'ch_php']);
        $o = $this->verifier()->validate('pt_php_attrs', ['client_ip' => '203.0.113.9', 'action' => 'login', 'uid' => 'user-1']);
        $this->assertSame([true, 'passed', 'passed', false, 200], [$o->ok, $o->code, $o->category, $o->retryable, $o->httpStatus]);
        $this->assertSame('Verification passed.', $o->message);
        $this->assertSame('인증에 성공했습니다.', $o->messageFor('ko'));
        $this->assertSame(['login', 'user-1', 33, 'ch_php'], [$o->action, $o->uid, $o->riskScore, $o->challengeId]);
        $this->assertSame('203.0.113.9', $o->logFields['client_ip']);
        $this->assertSame('passed', $o->toArray()['code']);
    }

    public function testFromEnv(): void
    {
        putenv('CAPTCHALA_APP_KEY=' . APP_KEY);
        putenv('CAPTCHALA_APP_SECRET=' . APP_SECRET);
        putenv('PASSGATE_API_BASE=' . self::$emulator->url);
        putenv('PASSGATE_ENVIRONMENT=staging');
        try {
            $o = Passgate\Verifier::fromEnv()->validate('pt_php_env');
            $this->assertSame('passed', $o->code);
            $this->assertSame('staging', $o->logFields['environment']);
        } finally {
            foreach (['CAPTCHALA_APP_KEY', 'CAPTCHALA_APP_SECRET', 'PASSGATE_API_BASE', 'PASSGATE_ENVIRONMENT'] as $name) {
                putenv($name);
            }
        }
    }

    public function testConfigExceptionsNameTheSetting(): void
    {
        $cases = [
            [['app_key' => 'k'], 'app_secret'],
            [['app_key' => 'k', 'app_secret' => 's', 'api_base' => 'not a url'], 'api_base'],
            [['app_key' => 'k', 'app_secret' => 's', 'mode' => 'test'], 'mode'],
            [['app_key' => 'k', 'app_secret' => 's', 'timeout_ms' => 'soon'], 'timeout_ms'],
            [['app_key' => 'k', 'app_secret' => 's', 'timeout_ms' => [1]], 'timeout_ms'],
            [['app_key' => 'k', 'app_secret' => 's', 'api_key' => 'x'], 'api_key'],
            [['app_key' => 'k', 'app_secret' => 's', 'logger' => 'not callable'], 'logger'],
        ];
        foreach ($cases as [$options, $setting]) {
            try {
                new Passgate\Verifier($options + ['environment' => 'production']);
                $this->fail("no exception for $setting");
            } catch (Passgate\ConfigException $e) {
                $this->assertStringContainsString(": $setting:", $e->getMessage());
                $this->assertInstanceOf(Exception::class, $e);
                $this->assertInstanceOf(Passgate\PassgateException::class, $e);
            }
        }
    }

    public function testLoggerCallableAndPsr3Object(): void
    {
        $calls = [];
        $v = $this->verifier(['logger' => function (string $level, string $message, array $context) use (&$calls) {
            $calls[] = [$level, $context['outcome'], $message];
        }]);
        $v->validate('pt_php_logged');
        $v->validate('pt_php_logged');
        $this->assertSame(['info', 'passed'], array_slice($calls[0], 0, 2));
        $this->assertSame(['warning', 'replayed'], array_slice($calls[1], 0, 2));
        $psr = new class {
            public array $lines = [];
            public function info(string $message, array $context = []): void { $this->lines[] = ['info', $context]; }
            public function warning(string $message, array $context = []): void { $this->lines[] = ['warning', $context]; }
        };
        $this->verifier(['logger' => $psr])->validate(null);
        $this->assertSame('warning', $psr->lines[0][0]);
        $this->assertSame('missing_token', $psr->lines[0][1]['outcome']);
        $logKeys = json_decode(file_get_contents(CASES), true)['log_keys'];
        $this->assertSame($logKeys, array_keys($psr->lines[0][1]));
    }

    public function testNoSecretOrRawTokenAnywhere(): void
    {
        $logged = [];
        $wrong = $this->verifier(['app_secret' => self::SECRET, 'logger' => function ($l, $m, $c) use (&$logged) { $logged[] = [$m, $c]; }]);
        ob_start();
        var_dump($wrong);
        print_r($wrong);
        var_export($wrong);
        foreach (['pt_RAW_TOKEN_x', 'co_RAW_TOKEN', 'sct_RAW_TOKEN', 'pt_RAW_TOKEN with space'] as $token) {
            $o = $wrong->validate($token);
            var_dump($o);
            print_r($o->toArray());
        }
        foreach ([['app_key' => 'k', 'app_secret' => self::SECRET . ' space'], ['app_key' => 'k', 'app_secret' => self::SECRET, 'api_base' => 'ftp://x']] as $bad) {
            try { new Passgate\Verifier($bad); } catch (Passgate\ConfigException $e) { echo $e->getMessage(), $e; }
        }
        try { $wrong->issueServerToken('login'); } catch (Passgate\IssueException $e) { echo $e->getMessage(); }
        print_r($logged);
        $printed = ob_get_clean();
        $this->assertStringNotContainsString(self::SECRET, $printed);
        $this->assertStringNotContainsString('RAW_TOKEN', $printed);
        $this->assertStringContainsString('misconfigured', $printed);
    }

    public function testBadInput(): void
    {
        $v = $this->verifier();
        $before = self::$emulator->stats()['validate_calls'];
        $cases = [[null, 'missing_token'], ['', 'missing_token'], [str_repeat('x', 1 << 20), 'malformed_token'],
            ["pt_nul\0byte", 'malformed_token'], ["pt_\xff\xfe", 'malformed_token']];
        foreach ($cases as [$token, $code]) {
            $this->assertSame($code, $v->validate($token)->code);
        }
        $this->assertSame($before, self::$emulator->stats()['validate_calls']);
        try {
            $v->validate('pt_x', ['client_ip' => ['203.0.113.9']]);
            $this->fail('no TypeError for an array client_ip');
        } catch (TypeError $e) {
            $this->assertStringContainsString('client_ip must be a string or null, array given', $e->getMessage());
        }
    }

    public function testATokenThatIsNotAStringIsNoToken(): void
    {
        self::$emulator->script('pt_php_shape', ['action' => 'login']); // it would pass if it were read
        $v = $this->verifier();
        $before = self::$emulator->stats()['validate_calls'];
        foreach ([['pt_php_shape'], ['x' => 'pt_php_shape'], [], 42, 4.2, true, false, new stdClass(),
                  new class { public function __toString(): string { return 'pt_php_shape'; } }] as $bad) {
            $o = $v->validate($bad, ['action' => 'login']);
            $this->assertSame(['missing_token', 400, false], [$o->code, $o->httpStatus, $o->logFields['token_present']], get_debug_type($bad));
        }
        $this->assertSame($before, self::$emulator->stats()['validate_calls']);
    }

    public function testInternalExceptionAndTheWorkerLivesOn(): void
    {
        $v = new Passgate\Verifier(['mode' => 'test', 'environment' => 'test', 'app_key' => 'internal']);
        try {
            $v->validate('pt_test_internal_error');
            $this->fail('no InternalException');
        } catch (Passgate\InternalException $e) {
            $this->assertStringNotContainsString('pt_test_internal_error', $e->getMessage());
        }
        $this->assertSame('passed', $v->validate('pt_test_passed')->code);
    }

    public function testIssueServerToken(): void
    {
        $token = $this->verifier()->issueServerToken('login', ['binding_ip' => '203.0.113.9', 'ttl' => 60, 'max_uses' => 1, 'bind_uid' => 'u1']);
        $this->assertStringStartsWith('sct_', $token['server_token']);
        $this->assertSame(60, $token['expires_in']);
        $this->expectException(Passgate\IssueException::class);
        $this->expectExceptionMessage('misconfigured (invalid_app_secret)');
        $this->verifier(['app_secret' => 'nope'])->issueServerToken('login');
    }

    public function testEveryStubbedMethodExists(): void
    {
        $stub = file_get_contents(dirname(__DIR__) . '/passgate.stub.php');
        preg_match_all('/^(?:final )?class (\w+)/m', $stub, $classes);
        $this->assertCount(6, $classes[1]);
        foreach ($classes[1] as $class) {
            $this->assertTrue(class_exists("Passgate\\$class"), $class);
        }
        preg_match_all('/class (\w+)\s*\{(.*?)^\}/ms', $stub, $bodies, PREG_SET_ORDER);
        $checked = 0;
        foreach ($bodies as [, $class, $body]) {
            preg_match_all('/public (static )?function (\w+)\(/', $body, $methods, PREG_SET_ORDER);
            foreach ($methods as [, $static, $method]) {
                $reflection = new ReflectionMethod("Passgate\\$class", $method);
                $this->assertSame($static !== '', $reflection->isStatic(), "$class::$method");
                $checked++;
            }
        }
        $this->assertGreaterThanOrEqual(7, $checked);
        // The namespace's functions (outside any class: at the start of a line).
        preg_match_all('/^function (\w+)\((.*?)\)/m', $stub, $functions, PREG_SET_ORDER);
        $this->assertContains('widget', array_column($functions, 1));
        foreach ($functions as [, $function, $parameters]) {
            $this->assertTrue(function_exists("Passgate\\$function"), "Passgate\\$function is in the stub but not in the extension");
            $reflection = new ReflectionFunction("Passgate\\$function");
            $this->assertSame(substr_count($parameters, '$'), $reflection->getNumberOfParameters(), $function);
            $this->assertSame(substr_count($parameters, '$') - substr_count($parameters, '='), $reflection->getNumberOfRequiredParameters(), $function);
        }
        $extension = array_map(fn ($name) => substr($name, strlen('passgate\\')), array_filter(
            get_extension_funcs('passgate') ?: [], fn ($name) => str_starts_with(strtolower($name), 'passgate\\')));
        $this->assertEqualsCanonicalizing(array_map('strtolower', array_column($functions, 1)), array_map('strtolower', $extension), 'the stub lists every function');
        $rc = new ReflectionClass(Passgate\ConfigException::class);
        $this->assertSame(Passgate\PassgateException::class, $rc->getParentClass()->getName());
        preg_match_all('/@property-read .*?\$(\w+)/', $stub, $properties);
        $o = (new Passgate\Verifier(['mode' => 'test', 'environment' => 'test', 'app_key' => 'stub']))->validate('pt_test_passed');
        // Every stubbed property exists on the real object, in the core's
        // order, and an unknown one is an Error rather than a silent null.
        foreach ($properties[1] as $property) {
            $this->assertTrue(isset($o->$property), "Outcome::\$$property is in the stub but not on the object");
        }
        $this->assertSame(array_keys($o->toArray()), $properties[1]);
        $this->assertFalse(isset($o->noSuchField));
        try {
            $o->noSuchField;
            $this->fail('an unknown property must throw');
        } catch (\Error $e) {
            $this->assertStringContainsString('noSuchField', $e->getMessage());
        }
    }

    public function testVerifiersWithTheSameOptionsShareTheReplayStore(): void
    {
        $options = ['mode' => 'test', 'environment' => 'test', 'app_key' => 'shared'];
        $this->assertSame('passed', (new Passgate\Verifier($options))->validate('pt_test_passed')->code);
        // A later request in the same worker builds its own object: still replayed.
        $this->assertSame('replayed', (new Passgate\Verifier($options))->validate('pt_test_passed')->code);
        $this->assertSame('passed', (new Passgate\Verifier($options + ['clock_skew_s' => 1]))->validate('pt_test_passed')->code);
    }

    public function testLoadsFromAnIniFileInConfD(): void
    {
        $dir = sys_get_temp_dir() . '/passgate-confd-' . getmypid();
        @mkdir($dir);
        file_put_contents("$dir/50-passgate.ini", 'extension=' . getenv('PASSGATE_PHP_EXTENSION') . "\n");
        $output = shell_exec('PHP_INI_SCAN_DIR=' . escapeshellarg($dir) . ' ' . escapeshellarg(PHP_BINARY)
            . ' -r ' . escapeshellarg('echo extension_loaded("passgate") ? "loaded" : "missing", " ", class_exists("Passgate\\Verifier") ? "ok" : "no";'));
        $this->assertSame('loaded ok', trim((string) $output));
        $reflection = shell_exec('PHP_INI_SCAN_DIR=' . escapeshellarg($dir) . ' ' . escapeshellarg(PHP_BINARY) . ' --re passgate');
        $this->assertStringContainsString('Class [ <internal:passgate> class Passgate\\Verifier', (string) $reflection);
        array_map('unlink', glob("$dir/*"));
        rmdir($dir);
    }

    public function testTestModeEveryCode(): void
    {
        $v = new Passgate\Verifier(['mode' => 'test', 'environment' => 'test', 'app_key' => 'every-code']);
        $doc = json_decode(file_get_contents(CASES), true);
        $codes = [];
        foreach ($doc['cases'] as $case) foreach ($case['calls'] as $call) $codes[$call['expect']['code']] = true;
        foreach (array_keys($codes) as $code) {
            $o = $v->validate("pt_test_$code");
            $this->assertSame($code, $o->code);
            $this->assertFalse($o->logFields['upstream_called']);
        }
    }
}
