<?php
// The Laravel middleware example, driven with Illuminate\Http\Request from
// Debian's php-laravel-framework.

use PHPUnit\Framework\TestCase;

final class LaravelMiddlewareTest extends TestCase
{
    private static Emulator $emulator;

    public static function setUpBeforeClass(): void
    {
        require_once '/usr/share/php/Illuminate/Http/autoload.php';
        require_once dirname(__DIR__) . '/examples/laravel/RequireCaptcha.php';
        self::$emulator = new Emulator();
    }

    private function handle(array $form, array $server = [], ?string $action = 'login'): array
    {
        $request = Illuminate\Http\Request::create('/login', 'POST', $form, [], [], $server + ['REMOTE_ADDR' => '198.51.100.4', 'HTTP_ACCEPT' => 'application/json']);
        $ran = false;
        $middleware = new App\Http\Middleware\RequireCaptcha(new Passgate\Verifier(self::$emulator->options()));
        $response = $middleware->handle($request, function ($request) use (&$ran) {
            $ran = true;
            return new Illuminate\Http\JsonResponse(['code' => $request->attributes->get('passgate')->code,
                'ip' => $request->attributes->get('passgate')->logFields['client_ip']]);
        }, $action);
        return [$response->getStatusCode(), json_decode($response->getContent(), true), $ran];
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
}
