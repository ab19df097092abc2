<?php
// Real servers: PHP-FPM with two workers (driven by a FastCGI client) and
// the built-in web server, serving tests/fpm/index.php.

use PHPUnit\Framework\TestCase;

final class ServersTest extends TestCase
{
    private static Emulator $emulator;
    private static string $extension;

    public static function setUpBeforeClass(): void
    {
        self::$emulator = new Emulator();
        // The extension file the servers load (the test runner's own copy).
        self::$extension = (string) getenv('PASSGATE_PHP_EXTENSION');
        if (!is_file(self::$extension)) {
            throw new RuntimeException('set PASSGATE_PHP_EXTENSION to the built passgate.so');
        }
    }

    private static function freePort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $port = (int) substr(strrchr(stream_socket_get_name($socket, false), ':'), 1);
        fclose($socket);
        return $port;
    }

    private static function waitFor(int $port): void
    {
        $deadline = microtime(true) + 20;
        while (microtime(true) < $deadline) {
            $socket = @stream_socket_client("tcp://127.0.0.1:$port", $errno, $error, 1);
            if ($socket) {
                fclose($socket);
                return;
            }
            usleep(50_000); // polling a port that is not open yet
        }
        throw new RuntimeException("nothing listens on $port");
    }

    private static function env(): array
    {
        return ['CAPTCHALA_APP_KEY' => APP_KEY, 'CAPTCHALA_APP_SECRET' => APP_SECRET,
            'PASSGATE_API_BASE' => self::$emulator->url, 'PASSGATE_ENVIRONMENT' => 'test', 'PATH' => getenv('PATH')];
    }

    /**
     * Token fields that are not a string, as raw request bodies a client can
     * send: [content type, body]. `name[]=` and `name[key]=` make PHP's form
     * parser give an array. The token inside would pass if it were read.
     */
    private const NOT_A_STRING = [
        ['application/x-www-form-urlencoded', 'captchala_token[]=pt_shape_ok'],
        ['application/x-www-form-urlencoded', 'captchala_token[x]=pt_shape_ok'],
        ['application/json', '{"captchala_token": ["pt_shape_ok"]}'],
        ['application/json', '{"captchala_token": {"a": 1}}'],
    ];

    /**
     * One FastCGI form post with cgi-fcgi; returns [status, decoded JSON body].
     * $params are extra FastCGI params, as a web server's `fastcgi_param` sets them.
     */
    private static function fastcgi(int $port, string $query, array $form, array $params = []): array
    {
        return self::fastcgiBody($port, $query, 'application/x-www-form-urlencoded', http_build_query($form), $params);
    }

    /** One FastCGI POST of a raw body. */
    private static function fastcgiBody(int $port, string $query, string $type, string $body, array $params = []): array
    {
        $env = $params + ['SCRIPT_FILENAME' => __DIR__ . '/fpm/index.php', 'REQUEST_METHOD' => 'POST', 'QUERY_STRING' => $query,
            'CONTENT_TYPE' => $type, 'CONTENT_LENGTH' => (string) strlen($body),
            'REMOTE_ADDR' => '198.51.100.4', 'SERVER_PROTOCOL' => 'HTTP/1.1', 'PATH' => getenv('PATH')];
        $process = proc_open(['cgi-fcgi', '-bind', '-connect', "127.0.0.1:$port"], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['pipe', 'w']], $pipes, null, $env);
        fwrite($pipes[0], $body);
        fclose($pipes[0]);
        $output = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        fclose($pipes[2]);
        proc_close($process);
        [$head, $content] = explode("\r\n\r\n", $output, 2) + [1 => ''];
        $status = preg_match('/^Status: (\d+)/mi', $head, $m) ? (int) $m[1] : 200;
        return [$status, self::decode($content)];
    }

    /**
     * PHP-FPM with two workers serving tests/fpm/index.php; returns [process, port].
     * $pool: the pool's lines (default: the environment passed through).
     */
    private static function startFpm(array $pool = ['clear_env = no'], ?array $env = null): array
    {
        $dir = sys_get_temp_dir() . '/passgate-fpm-' . getmypid() . '-' . count(glob(sys_get_temp_dir() . '/passgate-fpm-*'));
        @mkdir($dir);
        $port = self::freePort();
        file_put_contents("$dir/fpm.conf", implode("\n", [
            '[global]', "error_log = $dir/fpm.log", "pid = $dir/fpm.pid", 'daemonize = no',
            '[www]', "listen = 127.0.0.1:$port", 'pm = static', 'pm.max_children = 2', ...$pool, '',
        ]));
        $fpm = proc_open(['php-fpm8.2', '-n', '-R', '-F', '-y', "$dir/fpm.conf", '-d', 'extension=' . self::$extension],
            [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', "$dir/stderr.log", 'w']], $pipes, null, $env ?? self::env());
        return [$fpm, $port];
    }

    /**
     * A default pool (clear_env = yes hides the environment from workers):
     * the settings come from php_admin_value[passgate.*] instead.
     */
    public function testPhpFpmReadsPhpIniEntriesWhereClearEnvHidesTheEnvironment(): void
    {
        // An emulator of its own: the other tests count the shared one's connections.
        $emulator = new Emulator();
        $settings = ['php_admin_value[passgate.app_key] = ' . APP_KEY, 'php_admin_value[passgate.app_secret] = ' . APP_SECRET,
            'php_admin_value[passgate.api_base] = ' . $emulator->url, 'php_admin_value[passgate.environment] = test'];
        // The keys are in the master's environment, but a default pool hides it.
        [$hidden, $port] = self::startFpm([], self::env());
        try {
            self::waitFor($port);
            [, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_ini_hidden']);
            // The worker's fromEnv() found no keys: a ConfigException naming app_key.
            $this->assertStringContainsString('ConfigException', $body['raw'] ?? '', 'without php.ini entries the worker has no keys');
            $this->assertStringContainsString('app_key', $body['raw']);
        } finally {
            proc_terminate($hidden);
            proc_close($hidden);
        }
        [$fpm, $port] = self::startFpm($settings, ['PATH' => getenv('PATH')]);
        try {
            self::waitFor($port);
            $emulator->script('pt_fpm_ini', ['action' => 'login']);
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_ini']);
            $this->assertSame([200, 'passed'], [$status, $body['code']]);
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_ini']);
            $this->assertSame([409, 'replayed'], [$status, $body['code']]);
        } finally {
            proc_terminate($fpm);
            proc_close($fpm);
        }
    }

    /** The built-in web server serving tests/fpm/index.php; returns [process, port]. */
    private static function startBuiltInServer(): array
    {
        $port = self::freePort();
        $server = proc_open([PHP_BINARY, '-n', '-d', 'extension=' . self::$extension, '-S', "127.0.0.1:$port", __DIR__ . '/fpm/index.php'],
            [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes, null, self::env());
        return [$server, $port];
    }

    /** One HTTP POST of a raw body to the built-in server; returns [status, decoded JSON body]. */
    private static function httpPost(int $port, string $query, string $type, string $body): array
    {
        $context = stream_context_create(['http' => ['method' => 'POST', 'ignore_errors' => true,
            'header' => "Content-Type: $type\r\n", 'content' => $body]]);
        $answer = file_get_contents("http://127.0.0.1:$port/?$query", false, $context);
        preg_match('/ (\d{3}) /', $http_response_header[0], $m);
        return [(int) $m[1], self::decode($answer)];
    }

    /** The JSON answer; or, for a failure message, the start of what came instead (a PHP error page). */
    private static function decode(string $content): array
    {
        return json_decode($content, true) ?? ['raw' => substr(trim(strip_tags($content)), 0, 160)];
    }

    /**
     * Each NOT_A_STRING body through $post: missing_token (400), the route
     * never runs and the provider is not called.
     */
    private function assertNotAStringIsMissingToken(callable $post): void
    {
        self::$emulator->script('pt_shape_ok', ['action' => 'login']);
        $calls = self::$emulator->stats()['validate_calls'];
        $expected = $answers = $errors = [];
        foreach (self::NOT_A_STRING as [$type, $body]) {
            [$status, $answer] = $post($type, $body);
            $expected[$body] = [400, 'missing_token', false];
            $answers[$body] = [$status, $answer['code'] ?? null, $answer['ran'] ?? null];
            $errors[$body] = $answer['raw'] ?? null;
        }
        $this->assertSame($expected, $answers, json_encode(array_filter($errors)));
        $this->assertSame($calls, self::$emulator->stats()['validate_calls']);
    }

    public function testPhpFpmTwoWorkers(): void
    {
        [$fpm, $port] = self::startFpm();
        try {
            self::waitFor($port);
            self::$emulator->script('pt_fpm_ok', ['action' => 'login']);
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_ok']);
            $this->assertSame([200, 'passed', true], [$status, $body['code'], $body['ran']]);
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_ok']);
            $this->assertSame([409, 'replayed'], [$status, $body['code']]);
            [$status, $body] = self::fastcgi($port, 'action=login', []);
            $this->assertSame([400, 'missing_token'], [$status, $body['code']]);
            self::$emulator->script('pt_fpm_pay', ['action' => 'pay']);
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_pay']);
            $this->assertSame([400, 'action_mismatch'], [$status, $body['code']]);
            self::$emulator->script('pt_fpm_429', ['http_status' => 429]);
            [$status, $body] = self::fastcgi($port, '', ['captchala_token' => 'pt_fpm_429']);
            $this->assertSame([429, 'rate_limited'], [$status, $body['code']]);
            [$status, $body] = self::fastcgi($port, 'down=1', ['captchala_token' => 'pt_fpm_down']);
            $this->assertSame([503, 'upstream_unavailable', false], [$status, $body['code'], $body['ran']]);
            // config: the provider refuses the keys.
            self::$emulator->script('pt_fpm_secret', ['error' => 'invalid_app_secret']);
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_secret']);
            $this->assertSame([500, 'misconfigured', false], [$status, $body['code'], $body['ran']]);
            self::$emulator->script('pt_fpm_401', ['http_status' => 401]);
            [$status, $body] = self::fastcgi($port, '', ['captchala_token' => 'pt_fpm_401']);
            $this->assertSame([500, 'misconfigured', false], [$status, $body['code'], $body['ran']]);
            // store: a Redis replay store where nothing listens; fail closed, no provider call.
            $redis = ['PASSGATE_REPLAY_STORE' => 'redis://127.0.0.1:' . self::freePort(), 'PASSGATE_STORE_TIMEOUT_MS' => '300'];
            $calls = self::$emulator->stats()['validate_calls'];
            [$status, $body] = self::fastcgi($port, 'action=login', ['captchala_token' => 'pt_fpm_store'], $redis);
            $this->assertSame([503, 'store_unavailable', false], [$status, $body['code'], $body['ran']], json_encode($body));
            $this->assertSame($calls, self::$emulator->stats()['validate_calls']);

            $before = self::$emulator->stats();
            $pids = [];
            for ($i = 0; $i < 200; $i++) {
                [$status, $body] = self::fastcgi($port, '', ['captchala_token' => "pt_fpm_many_$i"]);
                $this->assertSame(200, $status, json_encode($body));
                $pids[$body['pid']] = true;
            }
            $after = self::$emulator->stats();
            $this->assertSame(200, $after['validate_calls'] - $before['validate_calls']);
            // Each worker keeps its pooled connection across requests.
            $this->assertLessThanOrEqual(2, $after['api_connections'], json_encode($after));
            $this->assertLessThanOrEqual(2, count($pids));
        } finally {
            proc_terminate($fpm);
            proc_close($fpm);
        }
    }

    public function testBuiltInServer(): void
    {
        [$server, $port] = self::startBuiltInServer();
        try {
            self::waitFor($port);
            $post = fn (string $query, array $form): array
                => self::httpPost($port, $query, 'application/x-www-form-urlencoded', http_build_query($form));
            self::$emulator->script('pt_builtin_ok', ['action' => 'login']);
            $this->assertSame([200, 'passed'], array_map(fn ($x) => is_array($x) ? $x['code'] : $x, $post('action=login', ['captchala_token' => 'pt_builtin_ok'])));
            [$status, $body] = $post('action=login', ['captchala_token' => 'sct_builtin']);
            $this->assertSame([400, 'malformed_token'], [$status, $body['code']]);
            [$status, $body] = $post('down=1', ['captchala_token' => 'pt_builtin_down']);
            $this->assertSame([503, 'upstream_unavailable'], [$status, $body['code']]);
        } finally {
            proc_terminate($server);
            proc_close($server);
        }
    }

    public function testPhpFpmTokenThatIsNotAStringIsMissingToken(): void
    {
        [$fpm, $port] = self::startFpm();
        try {
            self::waitFor($port);
            $this->assertNotAStringIsMissingToken(fn (string $type, string $body): array
                => self::fastcgiBody($port, 'action=login', $type, $body));
        } finally {
            proc_terminate($fpm);
            proc_close($fpm);
        }
    }

    public function testBuiltInServerTokenThatIsNotAStringIsMissingToken(): void
    {
        [$server, $port] = self::startBuiltInServer();
        try {
            self::waitFor($port);
            $this->assertNotAStringIsMissingToken(fn (string $type, string $body): array
                => self::httpPost($port, 'action=login', $type, $body));
        } finally {
            proc_terminate($server);
            proc_close($server);
        }
    }
}
