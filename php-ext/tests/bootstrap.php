<?php
// Starts `passgate mock` (the CaptchaLa emulator) for the test run.

const APP_KEY = 'test-app-key';
const APP_SECRET = 'test-app-secret';
define('REPO', dirname(__DIR__, 2));
define('CASES', REPO . '/conformance/cases.json');

if (!extension_loaded('passgate')) {
    fwrite(STDERR, "the passgate extension is not loaded (php -d extension=...)\n");
    exit(1);
}

final class Emulator
{
    public string $url;
    /** @var resource */
    private $process;
    /** @var array<int, resource> */
    private array $pipes = [];

    public function __construct(string ...$args)
    {
        $bin = getenv('PASSGATE_BIN') ?: REPO . '/target/debug/passgate';
        $command = array_merge([$bin, 'mock', '--exit-with-stdin'], $args);
        $this->process = proc_open($command, [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $this->pipes);
        $this->url = trim((string) fgets($this->pipes[1]));
        if (!str_starts_with($this->url, 'http')) {
            throw new RuntimeException("passgate mock did not start: {$this->url}");
        }
    }

    public function script(string $token, array $behaviour = []): void
    {
        $this->call('POST', '/__mock/script', ['token' => $token] + $behaviour);
    }

    public function stats(): array
    {
        return $this->call('GET', '/__mock/stats');
    }

    public function options(array $overrides = []): array
    {
        return $overrides + ['app_key' => APP_KEY, 'app_secret' => APP_SECRET, 'environment' => 'test',
            'api_base' => $this->url, 'backup_api_base' => $this->url, 'timeout_ms' => 2000];
    }

    private function call(string $method, string $path, ?array $body = null): array
    {
        $context = stream_context_create(['http' => ['method' => $method, 'header' => "Content-Type: application/json\r\n",
            'content' => $body === null ? '' : json_encode($body), 'ignore_errors' => true]]);
        return json_decode((string) file_get_contents($this->url . $path, false, $context), true);
    }

    public function __destruct()
    {
        fclose($this->pipes[0]);
        proc_terminate($this->process);
        proc_close($this->process);
    }
}
