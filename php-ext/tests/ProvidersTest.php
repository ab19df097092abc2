<?php
// reCAPTCHA, hCaptcha and Turnstile through the plain PHP API.

use PHPUnit\Framework\TestCase;

final class ProvidersTest extends TestCase
{
    private const SECRET_KEY = 'test-secret-key'; // the emulator's siteverify secret
    private const WRONG_SECRET = 'sk_siteverify_VERY_SECRET_value';
    private const FORM_FIELDS = [
        'captchala' => 'captchala_token',
        'recaptcha' => 'g-recaptcha-response',
        'hcaptcha' => 'h-captcha-response',
        'turnstile' => 'cf-turnstile-response',
    ];
    private static Emulator $emulator;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator();
    }

    private function siteverify(string $provider, array $options = []): Passgate\Verifier
    {
        return new Passgate\Verifier($options + ['provider' => $provider, 'secret_key' => self::SECRET_KEY,
            'api_base' => self::$emulator->url, 'environment' => 'test', 'timeout_ms' => 2000]);
    }

    public function testRecaptchaScoreBelowMinScoreIsScoreTooLow(): void
    {
        $logged = [];
        $v = $this->siteverify('recaptcha', ['min_score' => 0.7, 'expected_hostnames' => ['localhost'],
            'logger' => function (string $level, string $message, array $context) use (&$logged) {
                $logged[] = [$level, $context['hostname'], $context['score']];
            }]);
        self::$emulator->script('rc_php_api_low', ['score' => 0.6, 'action' => 'login']);
        self::$emulator->script('rc_php_api_high', ['score' => 0.9, 'action' => 'login']);
        $low = $v->validate('rc_php_api_low', ['action' => 'login']);
        $this->assertSame([false, 'score_too_low', 'client', true, 403], [$low->ok, $low->code, $low->category, $low->retryable, $low->httpStatus]);
        $this->assertSame(['recaptcha', 'localhost', 0.6, null], [$low->provider, $low->hostname, $low->score, $low->cdata]);
        $this->assertSame(['recaptcha', 'localhost', 0.6], [$low->logFields['provider'], $low->logFields['hostname'], $low->logFields['score']]);
        $high = $v->validate('rc_php_api_high', ['action' => 'login']);
        $this->assertSame([true, 'passed', 0.9], [$high->ok, $high->code, $high->score]);
        $this->assertSame([['warning', 'localhost', 0.6], ['info', 'localhost', 0.9]], $logged);
    }

    public function testTurnstileOutcomeHasCdataAndHostnameAndNoScore(): void
    {
        self::$emulator->script('ts_php_api_cdata', ['cdata' => 'session-42', 'action' => 'login']);
        $o = $this->siteverify('turnstile', ['expected_hostnames' => ['localhost']])->validate('ts_php_api_cdata', ['action' => 'login']);
        $this->assertSame([true, 'passed'], [$o->ok, $o->code]);
        $this->assertSame(['turnstile', 'localhost', null, 'session-42'], [$o->provider, $o->hostname, $o->score, $o->cdata]);
        $this->assertSame(['localhost', null, 'opaque'], [$o->logFields['hostname'], $o->logFields['score'], $o->logFields['token_type']]);
        $this->assertArrayNotHasKey('cdata', $o->logFields);
        $this->assertSame('session-42', $o->toArray()['cdata']);
    }

    public function testHcaptchaRiskScoreAboveMaxRiskScore(): void
    {
        $v = $this->siteverify('hcaptcha', ['site_key' => 'test-site-key', 'max_risk_score' => 0.5]);
        self::$emulator->script('hc_php_api_risky', ['score' => 0.8]);
        self::$emulator->script('hc_php_api_calm', ['score' => 0.2]);
        $risky = $v->validate('hc_php_api_risky');
        $this->assertSame(['score_too_low', 403, true, 0.8], [$risky->code, $risky->httpStatus, $risky->retryable, $risky->score]);
        $calm = $v->validate('hc_php_api_calm');
        $this->assertSame(['passed', 'hcaptcha', 0.2, 0.2], [$calm->code, $calm->provider, $calm->score, $calm->logFields['score']]);
    }

    public function testHostnameNotExpectedIsHostnameMismatch(): void
    {
        $o = $this->siteverify('turnstile', ['expected_hostnames' => ['example.com']])->validate('ts_php_api_elsewhere');
        $this->assertSame([false, 'hostname_mismatch', 'client', false, 403], [$o->ok, $o->code, $o->category, $o->retryable, $o->httpStatus]);
        $this->assertSame(['localhost', 'localhost'], [$o->hostname, $o->logFields['hostname']]);
    }

    public function testProviderConfigExceptionsNameTheSetting(): void
    {
        $cases = [
            ['turnstile', ['expected_hostnames' => [1, 2]], 'expected_hostnames'],
            ['turnstile', ['expected_hostnames' => 3], 'expected_hostnames'],
            ['recaptcha', ['min_score' => 'high'], 'min_score'],
            ['hcaptcha', ['max_risk_score' => 'risky'], 'max_risk_score'],
            ['turnstile', ['app_key' => 'test-app-key'], 'app_key'],
            ['turnstile', ['min_score' => 0.7], 'min_score'],
            ['nocaptcha', [], 'provider'],
        ];
        foreach ($cases as [$provider, $options, $setting]) {
            try {
                $this->siteverify($provider, $options);
                $this->fail("no exception for $setting");
            } catch (Passgate\ConfigException $e) {
                $this->assertStringContainsString(": $setting:", $e->getMessage());
            }
        }
    }

    public function testIssueServerTokenIsCaptchaLaOnly(): void
    {
        $before = self::$emulator->stats()['issue_calls'];
        try {
            $this->siteverify('turnstile')->issueServerToken('login');
            $this->fail('no IssueException');
        } catch (Passgate\IssueException $e) {
            $this->assertStringContainsString('not supported by provider turnstile', $e->getMessage());
            $this->assertInstanceOf(Passgate\PassgateException::class, $e);
        }
        $this->assertSame($before, self::$emulator->stats()['issue_calls']);
    }

    public function testProviderAndFormField(): void
    {
        foreach (self::FORM_FIELDS as $provider => $field) {
            $v = $provider === 'captchala' ? new Passgate\Verifier(self::$emulator->options()) : $this->siteverify($provider);
            $this->assertSame([$provider, $field], [$v->provider(), $v->formField()]);
        }
    }

    public function testTheSecretKeyIsInNoPrintedForm(): void
    {
        $logged = [];
        $logger = function ($level, $message, $context) use (&$logged) { $logged[] = [$message, $context]; };
        ob_start();
        foreach (['recaptcha', 'hcaptcha', 'turnstile'] as $provider) {
            $right = $this->siteverify($provider, ['logger' => $logger]);
            $wrong = $this->siteverify($provider, ['secret_key' => self::WRONG_SECRET, 'logger' => $logger]);
            foreach ([[$right, "tok_php_print_$provider"], [$wrong, "tok_php_print_wrong_$provider"]] as [$v, $token]) {
                $o = $v->validate($token);
                var_dump($v, $o);
                print_r($v);
                var_export($v);
                print_r($o->toArray());
            }
        }
        print_r($logged);
        $printed = ob_get_clean();
        $this->assertStringContainsString('misconfigured', $printed);
        $this->assertStringContainsString('passed', $printed);
        $this->assertStringNotContainsString(self::SECRET_KEY, $printed);
        $this->assertStringNotContainsString(self::WRONG_SECRET, $printed);
    }
}
