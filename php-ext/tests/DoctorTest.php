<?php
// Passgate\doctor(): the core's checks of the configuration a Verifier would
// get (its options, the environment, php.ini), against the emulator. The
// cases that depend on the environment or php.ini run in a child `php -n`
// with exactly what they are given.

use PHPUnit\Framework\TestCase;

final class DoctorTest extends TestCase
{
    private const SECRET = 'doctor-secret-never-printed';
    private static Emulator $emulator;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator();
    }

    /** Runs `php -n` with $ini entries and $env; returns [exit code, stdout + stderr]. */
    private static function php(array $ini, array $env, string $code): array
    {
        $command = [PHP_BINARY, '-n', '-d', 'extension=' . getenv('PASSGATE_PHP_EXTENSION')];
        foreach ($ini as $name => $value) {
            array_push($command, '-d', "$name=$value");
        }
        $process = proc_open([...$command, '-r', $code], [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, null,
            $env + ['PATH' => (string) getenv('PATH')]);
        $output = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        return [proc_close($process), $output];
    }

    /** The report as an array, and its checks by name. */
    private static function report(array $options): array
    {
        $report = json_decode(Passgate\doctor($options, true), true, 512, JSON_THROW_ON_ERROR);
        return [$report, array_column($report['checks'], null, 'name')];
    }

    /** A check's detail, by name. */
    private static function detail(array $check, string $name): ?string
    {
        return array_column($check['details'], 'value', 'name')[$name] ?? null;
    }

    public function testAWorkingSetUpPassesEveryCheck(): void
    {
        [$report, $checks] = self::report(self::$emulator->options());
        $this->assertTrue($report['ok']);
        $this->assertSame(['configuration', 'connection', 'keys', 'clock', 'replay_store'], array_keys($checks));
        foreach ($checks as $name => $check) {
            $this->assertSame('pass', $check['status'], $name);
            $this->assertSame(['name', 'status', 'summary', 'advice', 'details'], array_keys($check));
        }
        $this->assertSame('******** (set)  [argument]', self::detail($checks['configuration'], 'app_secret'));

        // The human table: a ✓ per check, the summary line last.
        $text = Passgate\doctor(self::$emulator->options());
        $this->assertSame(5, substr_count($text, '✓'), $text);
        $this->assertMatchesRegularExpression('/^✓ keys +CaptchaLa accepted/m', $text);
        $this->assertStringEndsWith("\n0 failed, 0 warning(s)\n", $text);
    }

    public function testAWrongSecretFailsTheKeysCheck(): void
    {
        [$report, $checks] = self::report(self::$emulator->options(['app_secret' => 'wrong-secret']));
        $this->assertFalse($report['ok']);
        $this->assertSame(['pass', 'pass', 'fail'], [$checks['configuration']['status'], $checks['connection']['status'], $checks['keys']['status']]);
        $this->assertStringContainsString('invalid_app_secret', $checks['keys']['summary']);
        $this->assertNotEmpty($checks['keys']['advice']);
        $text = Passgate\doctor(self::$emulator->options(['app_secret' => 'wrong-secret']));
        $this->assertMatchesRegularExpression('/^✗ keys /m', $text);
        $this->assertStringContainsString("\n1 failed,", $text);
    }

    public function testEachSettingShowsWhereItCameFrom(): void
    {
        // The brief's own case: a php.ini entry, nothing else.
        [$code, $output] = self::php(['passgate.app_key' => 'key-from-ini'], [], 'echo Passgate\doctor();');
        $this->assertSame(0, $code, $output);
        $this->assertMatchesRegularExpression('/^    app_key +"key-from-ini"  \[php\.ini\]$/m', $output);

        // An argument, the environment and php.ini at once (the environment
        // wins over php.ini, an argument over both).
        $ini = ['passgate.app_key' => APP_KEY, 'passgate.app_secret' => 'loses-to-the-environment', 'passgate.timeout_ms' => '1500'];
        $env = ['CAPTCHALA_APP_SECRET' => APP_SECRET, 'PASSGATE_ENVIRONMENT' => 'test'];
        $call = sprintf('echo Passgate\doctor(["api_base" => %s, "timeout_ms" => 2000]);', var_export(self::$emulator->url, true));
        [$code, $output] = self::php($ini, $env, $call);
        $this->assertSame(0, $code, $output);
        $this->assertMatchesRegularExpression('/^    app_key +"test-app-key"  \[php\.ini\]$/m', $output);
        $this->assertMatchesRegularExpression('/^    app_secret +\*+ \(set\)  \[environment CAPTCHALA_APP_SECRET\]$/m', $output);
        $this->assertMatchesRegularExpression('/^    environment +"test"  \[environment PASSGATE_ENVIRONMENT\]$/m', $output);
        $this->assertMatchesRegularExpression('/^    timeout_ms +2000  \[argument\]$/m', $output);
        $this->assertStringContainsString(self::$emulator->url . '  [argument]', $output);
        $this->assertStringContainsString("\n0 failed,", $output);

        // A framework labels what its own configuration gives.
        $checks = array_column(json_decode(Passgate\doctor(self::$emulator->options(), true, 'config/passgate.php'), true)['checks'], null, 'name');
        $this->assertSame('"test-app-key"  [config/passgate.php]', self::detail($checks['configuration'], 'app_key'));
    }

    public function testNoSecretOrPasswordInTheTextOrTheJson(): void
    {
        $options = self::$emulator->options(['app_secret' => self::SECRET,
            'replay_store' => 'redis://:redis-password-never-printed@127.0.0.1:1/0', 'store_timeout_ms' => 200]);
        foreach ([false, true] as $json) {
            $printed = Passgate\doctor($options, $json);
            $this->assertStringContainsString('keys', $printed);
            $this->assertStringNotContainsString(self::SECRET, $printed);
            $this->assertStringNotContainsString('redis-password-never-printed', $printed);
        }
        // The same through php.ini and the environment.
        [, $output] = self::php(['passgate.app_secret' => self::SECRET], ['PASSGATE_REPLAY_STORE' => 'redis://:redis-password-never-printed@127.0.0.1:1/0'],
            'echo Passgate\doctor(), Passgate\doctor([], true);');
        $this->assertStringContainsString('[php.ini]', $output);
        $this->assertStringNotContainsString(self::SECRET, $output);
        $this->assertStringNotContainsString('redis-password-never-printed', $output);
    }

    public function testABadEnvironmentValueIsAFailedCheckAndABadEntryAConfigException(): void
    {
        // The environment is read by the core: a failed configuration check.
        [$code, $output] = self::php([], ['PASSGATE_TIMEOUT_MS' => 'soon'], 'echo Passgate\doctor();');
        $this->assertSame(0, $code, $output);
        $this->assertMatchesRegularExpression('/^✗ configuration +PASSGATE_TIMEOUT_MS: must be a whole number/m', $output);
        // So is an unknown provider, wherever it comes from.
        foreach ([[['passgate.provider' => 'nope'], []], [[], ['PASSGATE_PROVIDER' => 'nope']]] as [$ini, $env]) {
            [$code, $output] = self::php($ini, $env, 'echo Passgate\doctor();');
            $this->assertSame(0, $code, $output);
            $this->assertMatchesRegularExpression('/^✗ configuration +provider \(PASSGATE_PROVIDER\): must be one of/m', $output);
        }
        // php.ini and arguments are read as the constructor reads them.
        foreach ([[['passgate.timeout_ms' => 'soon'], '[]'], [[], '["timeout_ms" => "soon"]'], [[], '["on_outcome" => "nope"]']] as [$ini, $options]) {
            [$code, $output] = self::php($ini, [], "try { Passgate\doctor($options); } catch (Passgate\ConfigException \$e) { echo get_class(\$e), ': ', \$e->getMessage(); }");
            $this->assertSame(0, $code, $output);
            $this->assertStringStartsWith('Passgate\ConfigException: ', $output);
            $this->assertMatchesRegularExpression('/: (timeout_ms|on_outcome):/', $output);
        }
    }

    public function testAFrameworksOptionsArrayWithLoggerAndOnOutcomeIsAccepted(): void
    {
        $calls = 0;
        $record = function () use (&$calls) { $calls++; };
        [$report] = self::report(self::$emulator->options(['logger' => $record, 'on_outcome' => $record]));
        $this->assertTrue($report['ok']);
        $this->assertSame(0, $calls, 'the doctor validates nothing, so neither is called');
    }
}
