<?php
// Passgate\metrics() and Passgate\metrics_text(): this worker's counters.
// They are process-wide (every verifier counts), so each test compares
// before and after.

use PHPUnit\Framework\TestCase;

final class MetricsTest extends TestCase
{
    private static Emulator $emulator;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator();
    }

    /** The count of one provider and outcome in a snapshot (0 when absent). */
    private static function seriesCount(array $snapshot, string $provider, string $outcome): int
    {
        foreach ($snapshot['validations'] as $series) {
            if ($series['provider'] === $provider && $series['outcome'] === $outcome) {
                return $series['count'];
            }
        }
        return 0;
    }

    /** One provider's entry of a list keyed by provider (validation_latency, upstream). */
    private static function of(array $list, string $provider): ?array
    {
        return array_column($list, null, 'provider')[$provider] ?? null;
    }

    public function testTestModeValidationsAreCountedByProviderAndOutcome(): void
    {
        $before = Passgate\metrics();
        $v = new Passgate\Verifier(['mode' => 'test', 'environment' => 'test', 'app_key' => 'metrics-' . uniqid()]);
        $v->validate('pt_test_passed');
        $v->validate('pt_test_passed'); // the same token again
        $v->validate('pt_test_expired');
        $v->validate(null);
        $after = Passgate\metrics();
        $deltas = [];
        foreach (['passed', 'replayed', 'expired', 'missing_token'] as $outcome) {
            $deltas[$outcome] = self::seriesCount($after, 'captchala', $outcome) - self::seriesCount($before, 'captchala', $outcome);
        }
        $this->assertSame(['passed' => 1, 'replayed' => 1, 'expired' => 1, 'missing_token' => 1], $deltas);
        $latency = self::of($after['validation_latency'], 'captchala')['duration_seconds'];
        $this->assertSame(4, $latency['count'] - (self::of($before['validation_latency'], 'captchala')['duration_seconds']['count'] ?? 0));
        $this->assertIsFloat($latency['sum']);
        $this->assertSame('+Inf', end($latency['buckets'])['le']);
        $this->assertSame($latency['count'], end($latency['buckets'])['count']);
        $this->assertSame(count($after['latency_buckets_s']) + 1, count($latency['buckets']));
        $this->assertIsInt($after['replay_live_evictions']);
    }

    public function testValidationsAgainstTheEmulatorCountUpstreamCallsPerProvider(): void
    {
        $before = Passgate\metrics();
        self::$emulator->script('pt_metrics_ok');
        $captchala = new Passgate\Verifier(self::$emulator->options());
        $this->assertSame('passed', $captchala->validate('pt_metrics_ok')->code);
        $turnstile = new Passgate\Verifier(['provider' => 'turnstile', 'secret_key' => 'test-secret-key', 'environment' => 'test',
            'api_base' => self::$emulator->url, 'timeout_ms' => 2000]);
        $turnstile->validate('not-a-turnstile-token');
        $after = Passgate\metrics();
        $this->assertSame(1, self::seriesCount($after, 'captchala', 'passed') - self::seriesCount($before, 'captchala', 'passed'));
        $calls = fn (array $snapshot, string $provider) => self::of($snapshot['upstream'], $provider)['calls'] ?? 0;
        $this->assertSame(1, $calls($after, 'captchala') - $calls($before, 'captchala'));
        $this->assertSame(1, $calls($after, 'turnstile') - $calls($before, 'turnstile'));
        $turnstileCounts = array_sum(array_column(array_filter($after['validations'], fn ($s) => $s['provider'] === 'turnstile'), 'count'))
            - array_sum(array_column(array_filter($before['validations'], fn ($s) => $s['provider'] === 'turnstile'), 'count'));
        $this->assertSame(1, $turnstileCounts);
    }

    public function testTheTextHoldsTheSameSeries(): void
    {
        (new Passgate\Verifier(['mode' => 'test', 'environment' => 'test', 'app_key' => 'metrics-text']))->validate('pt_test_invalid_token');
        $snapshot = Passgate\metrics();
        $text = Passgate\metrics_text();
        $this->assertStringContainsString("# TYPE passgate_validations_total counter\n", $text);
        $this->assertStringContainsString("# TYPE passgate_validation_duration_seconds histogram\n", $text);
        foreach ($snapshot['validations'] as $series) {
            $this->assertStringContainsString(sprintf("passgate_validations_total{provider=\"%s\",outcome=\"%s\"} %d\n",
                $series['provider'], $series['outcome'], $series['count']), $text);
        }
        $this->assertMatchesRegularExpression('/^passgate_validation_duration_seconds_bucket\{provider="captchala",le="\+Inf"\} \d+$/m', $text);
        $this->assertMatchesRegularExpression('/^passgate_validation_duration_seconds_count\{provider="captchala"\} \d+$/m', $text);
    }

    public function testEachProcessCountsItsOwn(): void
    {
        // A fresh worker starts from zero, as each PHP-FPM worker does.
        $output = shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg((string) getenv('PASSGATE_PHP_EXTENSION'))
            . ' -r ' . escapeshellarg('echo json_encode(Passgate\metrics()["validations"]);'));
        $this->assertSame('[]', $output);
    }
}
