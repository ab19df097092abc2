<?php
// Every case of conformance/cases.json through the PHP extension.

use PHPUnit\Framework\TestCase;

final class ConformanceTest extends TestCase
{
    private static Emulator $emulator;
    private static array $doc;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator('--script', CASES);
    }

    public static function cases(): array
    {
        self::$doc = json_decode(file_get_contents(CASES), true);
        $cases = [];
        foreach (self::$doc['cases'] as $case) {
            $cases[$case['name']] = [$case];
        }
        return $cases;
    }

    private static function same($expected, $actual): bool
    {
        if (is_array($expected) && array_key_exists('$between', $expected)) {
            [$low, $high] = $expected['$between'];
            return (is_int($actual) || is_float($actual)) && $low <= $actual && $actual <= $high;
        }
        if (is_array($expected) && array_key_exists('$type', $expected)) {
            return match ($expected['$type']) {
                'number' => is_int($actual) || is_float($actual),
                'string' => is_string($actual),
                'bool' => is_bool($actual),
                'null' => $actual === null,
            };
        }
        if (is_int($expected) && is_float($actual)) {
            return (float) $expected === $actual;
        }
        return $expected === $actual;
    }

    public function testCasesCoverEveryCode(): void
    {
        $doc = json_decode(file_get_contents(CASES), true);
        $codes = [];
        foreach ($doc['cases'] as $case) {
            foreach ($case['calls'] as $call) {
                $codes[$call['expect']['code']] = true;
            }
        }
        $this->assertCount(17, $codes);
    }

    /** @dataProvider cases */
    public function testCase(array $case): void
    {
        $doc = json_decode(file_get_contents(CASES), true);
        // defaults.options, then the case's provider's defaults, then its own.
        $options = ($case['options'] ?? [])
            + $doc['defaults']['provider_options'][$case['provider'] ?? 'captchala']
            + $doc['defaults']['options'];
        foreach ($options as $key => $value) {
            if (is_string($value)) {
                $options[$key] = str_replace('{emulator}', self::$emulator->url, $value);
            }
        }
        $verifier = new Passgate\Verifier($options);
        foreach ($case['calls'] as $index => $call) {
            $where = "{$case['name']}[$index]";
            $token = isset($call['token_repeat'])
                ? $call['token_repeat']['prefix'] . str_repeat($call['token_repeat']['char'], $call['token_repeat']['count'])
                : ($call['token'] ?? null);
            $opts = array_filter(['client_ip' => $call['client_ip'] ?? null, 'action' => $call['action'] ?? null,
                'uid' => $call['uid'] ?? null, 'keep_token' => $call['keep_token'] ?? null], fn ($v) => $v !== null);
            $outcome = $verifier->validate($token, $opts);
            $expect = $call['expect'];
            $problems = [];
            foreach (['ok' => 'ok', 'code' => 'code', 'category' => 'category', 'retryable' => 'retryable', 'http_status' => 'httpStatus'] as $key => $property) {
                if (!self::same($expect[$key], $outcome->$property)) {
                    $problems[] = "$key: expected " . json_encode($expect[$key]) . ', got ' . json_encode($outcome->$property);
                }
            }
            $fields = $outcome->logFields;
            $this->assertSame($doc['log_keys'], array_keys($fields), $where);
            foreach ($expect['log_fields'] as $key => $expected) {
                if (!self::same($expected, $fields[$key])) {
                    $problems[] = "log_fields.$key: expected " . json_encode($expected) . ', got ' . json_encode($fields[$key]);
                }
            }
            ob_start();
            var_dump($verifier, $outcome);
            print_r($outcome->toArray());
            $printed = ob_get_clean();
            $this->assertStringNotContainsString($options['app_secret'] ?? $options['secret_key'], $printed, $where);
            if (is_string($token) && strlen(trim($token)) >= 4) {
                $this->assertStringNotContainsString(trim($token), $printed, $where);
            }
            $this->assertSame([], $problems, $where);
        }
    }
}
