<?php
// php.ini entries passgate.<option>: read after the environment, shown by
// `php --ri passgate` and phpinfo() with secrets masked, and not changeable
// with ini_set() from request code. Each case runs in a child `php` with an
// empty environment, so only what it is given counts.

use PHPUnit\Framework\TestCase;

final class IniTest extends TestCase
{
    private const SECRET = 'ini-secret-must-not-show';

    /** Runs `php` with $ini entries and $env; returns [exit code, stdout + stderr]. */
    private static function php(array $ini, array $env, array $args): array
    {
        $command = [PHP_BINARY, '-n', '-d', 'extension=' . getenv('PASSGATE_PHP_EXTENSION')];
        foreach ($ini as $name => $value) {
            array_push($command, '-d', "$name=$value");
        }
        $process = proc_open([...$command, ...$args], [1 => ['pipe', 'w'], 2 => ['redirect', 1]], $pipes, null,
            $env + ['PATH' => (string) getenv('PATH')]);
        $output = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        return [proc_close($process), $output];
    }

    private const TURNSTILE = ['passgate.provider' => 'turnstile', 'passgate.secret_key' => self::SECRET,
        'passgate.site_key' => 'ini-site', 'passgate.environment' => 'test'];

    public function testFromEnvReadsPhpIniWhenTheEnvironmentIsEmpty(): void
    {
        [$code, $output] = self::php(self::TURNSTILE, [], ['-r', '$v = Passgate\Verifier::fromEnv(); echo json_encode([$v->provider(), (array) $v->__debugInfo()]);']);
        $this->assertSame(0, $code, $output);
        [$provider, $info] = json_decode($output, true);
        $this->assertSame('turnstile', $provider);
        $this->assertSame('ini-site', $info['site_key']);
        $this->assertSame(['provider' => 'php.ini', 'secret_key' => 'php.ini', 'site_key' => 'php.ini', 'environment' => 'php.ini'],
            $info['settings_from']);
        $this->assertStringNotContainsString(self::SECRET, $output);
    }

    public function testTheEnvironmentWinsOverPhpIniAndArgumentsOverBoth(): void
    {
        [$code, $output] = self::php(self::TURNSTILE, ['PASSGATE_SITE_KEY' => 'env-site'],
            ['-r', 'echo json_encode([Passgate\Verifier::fromEnv()->__debugInfo(), (new Passgate\Verifier(["site_key" => "arg-site"]))->__debugInfo()]);']);
        $this->assertSame(0, $code, $output);
        [$fromEnv, $given] = json_decode($output, true);
        $this->assertSame(['env-site', 'environment'], [$fromEnv['site_key'], $fromEnv['settings_from']['site_key']]);
        $this->assertSame(['arg-site', 'argument'], [$given['site_key'], $given['settings_from']['site_key']]);
    }

    public function testAnEntryForAnotherProviderIsIgnored(): void
    {
        // A server-wide CaptchaLa key does no harm to a Turnstile pool.
        [$code, $output] = self::php(self::TURNSTILE + ['passgate.app_key' => 'left-over'], [], ['-r', 'echo Passgate\Verifier::fromEnv()->provider();']);
        $this->assertSame([0, 'turnstile'], [$code, $output]);
    }

    public function testABadEntryIsAConfigErrorNamingTheOption(): void
    {
        [$code, $output] = self::php(self::TURNSTILE + ['passgate.timeout_ms' => 'soon'], [],
            ['-r', 'try { Passgate\Verifier::fromEnv(); } catch (Passgate\ConfigException $e) { echo get_class($e), ": ", $e->getMessage(); }']);
        $this->assertSame(0, $code);
        $this->assertStringStartsWith('Passgate\ConfigException: ', $output);
        $this->assertStringContainsString('timeout_ms', $output);
    }

    public function testPhpRiAndPhpinfoMaskSecretsAndStorePasswords(): void
    {
        $ini = self::TURNSTILE + ['passgate.replay_store' => 'redis://:store-password@127.0.0.1:6379/0'];
        foreach ([['--ri', 'passgate'], ['-r', 'phpinfo(INFO_MODULES);']] as $args) {
            [$code, $output] = self::php($ini, [], $args);
            $this->assertSame(0, $code, $output);
            $this->assertMatchesRegularExpression('/passgate\.secret_key => \S.*set/', $output);
            $this->assertStringContainsString('passgate.site_key => ini-site', $output);
            $this->assertStringContainsString('passgate.timeout_ms => (not set)', $output);
            $this->assertStringContainsString('127.0.0.1:6379/0', $output);
            $this->assertStringNotContainsString(self::SECRET, $output);
            $this->assertStringNotContainsString('store-password', $output);
        }
    }

    public function testRequestCodeCannotChangeAnEntry(): void
    {
        [$code, $output] = self::php(self::TURNSTILE, [], ['-r', 'var_export(ini_set("passgate.secret_key", "x")); echo " ", ini_get("passgate.site_key");']);
        $this->assertSame([0, 'false ini-site'], [$code, $output]);
    }
}
