<?php
// new Passgate\Verifier(['on_outcome' => fn (Passgate\Outcome $o) => ...]):
// called once per validation, after the log record; what it throws is logged
// (class and message) and the caller still gets its outcome.

use PHPUnit\Framework\TestCase;

final class OnOutcomeTest extends TestCase
{
    private static Emulator $emulator;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator();
    }

    private static function testMode(array $options): Passgate\Verifier
    {
        return new Passgate\Verifier($options + ['mode' => 'test', 'environment' => 'test', 'app_key' => 'on-outcome-' . uniqid()]);
    }

    public function testCalledOnceWithTheReturnedOutcomeAfterTheLogRecord(): void
    {
        $events = [];
        $seen = [];
        $v = self::testMode([
            'logger' => function (string $level, string $message, array $context) use (&$events) { $events[] = "log {$context['outcome']}"; },
            'on_outcome' => function (Passgate\Outcome $outcome) use (&$events, &$seen) { $events[] = "on_outcome $outcome->code"; $seen[] = $outcome; },
        ]);
        $first = $v->validate('pt_test_passed');
        $second = $v->validate('pt_test_passed');
        $this->assertSame(['log passed', 'on_outcome passed', 'log replayed', 'on_outcome replayed'], $events);
        $this->assertSame([$first, $second], $seen, 'the object given is the one returned');
    }

    public function testAgainstTheEmulatorAndWithAnyCallable(): void
    {
        $recorder = new class {
            public array $codes = [];
            public function record(Passgate\Outcome $o): void { $this->codes[] = $o->code; }
            public function __invoke(Passgate\Outcome $o): void { $this->codes[] = "invoked $o->code"; }
        };
        self::$emulator->script('pt_on_outcome_ok');
        (new Passgate\Verifier(self::$emulator->options(['on_outcome' => [$recorder, 'record']])))->validate('pt_on_outcome_ok');
        (new Passgate\Verifier(self::$emulator->options(['on_outcome' => $recorder])))->validate('pt_on_outcome_unscripted');
        (new Passgate\Verifier(self::$emulator->options(['on_outcome' => null])))->validate(null);
        $this->assertSame(['passed', 'invoked passed'], $recorder->codes);
    }

    public function testAnExceptionInsideIsLoggedAndTheOutcomeReturned(): void
    {
        $logged = [];
        $v = self::testMode([
            'logger' => function (string $level, string $message, array $context) use (&$logged) { $logged[] = [$level, $message, $context]; },
            'on_outcome' => function (Passgate\Outcome $o) { throw new DomainException("metrics backend down ($o->code)"); },
        ]);
        $outcome = $v->validate('pt_test_passed');
        $this->assertSame('passed', $outcome->code);
        $this->assertCount(2, $logged);
        [$level, $message, $context] = $logged[1];
        $this->assertSame('error', $level);
        $this->assertSame('passgate: on_outcome threw DomainException: metrics backend down (passed)', $message);
        $this->assertSame(['exception_class' => 'DomainException', 'exception_message' => 'metrics backend down (passed)'], $context);
        $this->assertStringNotContainsString('pt_test_passed', json_encode($logged));
        // Nothing is left pending: the next validation runs as normal.
        $this->assertSame('replayed', $v->validate('pt_test_passed')->code);
        // An Error (a bug in the callback) too.
        $this->assertSame('passed', self::testMode(['logger' => fn () => null, 'on_outcome' => fn ($o) => $o->noSuchField])->validate('pt_test_passed')->code);
    }

    public function testAPsr3LoggerGetsErrorOrElseWarning(): void
    {
        $throws = fn (Passgate\Outcome $o) => throw new RuntimeException('boom');
        $psr3 = new class {
            public array $lines = [];
            public function info(string $message, array $context = []): void { $this->lines[] = ['info', $message]; }
            public function warning(string $message, array $context = []): void { $this->lines[] = ['warning', $message]; }
            public function error(string $message, array $context = []): void { $this->lines[] = ['error', $message]; }
        };
        self::testMode(['logger' => $psr3, 'on_outcome' => $throws])->validate('pt_test_passed');
        $this->assertSame([['info', $psr3->lines[0][1]], ['error', 'passgate: on_outcome threw RuntimeException: boom']], $psr3->lines);
        $minimal = new class {
            public array $lines = [];
            public function info(string $message, array $context = []): void { $this->lines[] = ['info', $message]; }
            public function warning(string $message, array $context = []): void { $this->lines[] = ['warning', $message]; }
        };
        self::testMode(['logger' => $minimal, 'on_outcome' => $throws])->validate('pt_test_passed');
        $this->assertSame(['warning', 'passgate: on_outcome threw RuntimeException: boom'], $minimal->lines[1]);
    }

    public function testWithoutALoggerItGoesToPhpsErrorLog(): void
    {
        $log = tempnam(sys_get_temp_dir(), 'passgate-error-log');
        $code = 'set_error_handler(fn () => throw new ErrorException("no warning expected"));'
            . '$v = new Passgate\Verifier(["mode" => "test", "environment" => "test", "app_key" => "k", "on_outcome" => fn ($o) => throw new LogicException("oops")]);'
            . 'echo $v->validate("pt_test_passed")->code;';
        $output = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg((string) getenv('PASSGATE_PHP_EXTENSION'))
            . ' -d error_log=' . escapeshellarg($log) . ' -r ' . escapeshellarg($code) . ' 2>&1');
        $written = file_get_contents($log);
        unlink($log);
        $this->assertSame('passed', $output);
        $this->assertStringContainsString('passgate: on_outcome threw LogicException: oops', $written);
        $this->assertStringNotContainsString('pt_test_passed', $written);
    }

    public function testANonCallableIsAConfigErrorNamingOnOutcome(): void
    {
        foreach (['not_a_function', 42, ['no', 'such'], new stdClass()] as $bad) {
            try {
                self::testMode(['on_outcome' => $bad]);
                $this->fail('no ConfigException for ' . get_debug_type($bad));
            } catch (Passgate\ConfigException $e) {
                $this->assertStringContainsString(': on_outcome:', $e->getMessage());
            }
        }
    }
}
