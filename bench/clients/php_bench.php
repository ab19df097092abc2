<?php
// PHP rows of `make bench`: passgate (one process, then 8 and 64 processes),
// the plain patterns (one curl handle reused, curl per call) and the
// google/recaptcha library. Prints one JSON line per row:
// {row, calls, seconds: [...], cpu_s: [...], connections}.
//
// Usage: php -d extension=passgate.so php_bench.php CONFIG_JSON GROUP

$config = json_decode($argv[1], true);
$group = $argv[2];
$base = $config['base'];
$ca = $config['ca'];
$secret = $config['secret'];
$url = "$base/recaptcha/api/siteverify";

/** CPU seconds of this process. */
function cpu_seconds(): float
{
    $usage = getrusage();
    return $usage['ru_utime.tv_sec'] + $usage['ru_utime.tv_usec'] / 1e6
        + $usage['ru_stime.tv_sec'] + $usage['ru_stime.tv_usec'] / 1e6;
}

function accepts(): int
{
    global $config;
    $lines = explode("\n", file_get_contents($config['status_url']));
    return (int) preg_split('/\s+/', trim($lines[2]))[0];
}

function token(string $row, int $round, int $i): string
{
    // Unique per call: the replay guard must not short-cut anything.
    return sprintf('bench-%s-%d-%08d-0123456789abcdefghijklmnopqrstuvwxyz', str_replace(' ', '-', $row), $round, $i);
}

function report(string $name, int $calls, array $seconds, array $cpu, int $before): void
{
    $connections = accepts() - $before - 1;
    echo json_encode(['row' => $name, 'calls' => $calls, 'seconds' => $seconds, 'cpu_s' => $cpu,
        'connections' => $connections]), "\n";
}

/** `$work($token)` `$calls` times in this process, for each round. */
function timed(string $name, callable $work, ?int $calls = null): void
{
    global $config;
    $calls ??= $config['calls'];
    $seconds = $cpu = [];
    $before = accepts();
    for ($round = 0; $round < $config['rounds']; $round++) {
        $failures = 0;
        $cpuBefore = cpu_seconds();
        $started = hrtime(true);
        for ($i = 0; $i < $calls; $i++) {
            $failures += $work(token($name, $round, $i)) ? 0 : 1;
        }
        $seconds[] = (hrtime(true) - $started) / 1e9;
        $cpu[] = cpu_seconds() - $cpuBefore;
        if ($failures) {
            fwrite(STDERR, "$name: $failures validations did not pass\n");
            exit(1);
        }
    }
    report($name, $calls, $seconds, $cpu, $before);
}

/**
 * `$processes` forked workers, each running `$work` over its share; timed
 * from the moment they are released until the last has exited. Each child
 * makes its own state with `$setup` before the start (as an FPM worker
 * would have), so only validations are timed.
 */
function timed_processes(string $name, int $processes, callable $setup, callable $work): void
{
    global $config;
    $perChild = intdiv($config['calls'], $processes);
    $seconds = $cpu = [];
    $before = accepts();
    for ($round = 0; $round < $config['rounds']; $round++) {
        [$read, $write] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        [$readyRead, $readyWrite] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        [$cpuRead, $cpuWrite] = stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP);
        $children = [];
        for ($child = 0; $child < $processes; $child++) {
            $pid = pcntl_fork();
            if ($pid === 0) {
                fclose($write);
                fclose($readyRead);
                $state = $setup();
                fwrite($readyWrite, 'r');
                // One byte each: unbuffered, or the first child would read
                // every child's start signal into its stream buffer.
                stream_set_read_buffer($read, 0);
                fread($read, 1);
                $failures = 0;
                $cpuBefore = cpu_seconds();
                for ($i = 0; $i < $perChild; $i++) {
                    $failures += $work(token($name, $round, $child * $perChild + $i), $state) ? 0 : 1;
                }
                // This child's CPU for its validations only, setup excluded.
                fwrite($cpuWrite, sprintf("%.9f\n", cpu_seconds() - $cpuBefore));
                // Leave without running destructors or shutdown functions.
                posix_kill(posix_getpid(), $failures ? SIGTERM : SIGKILL);
            }
            $children[] = $pid;
        }
        fclose($readyWrite);
        for ($ready = 0; $ready < $processes; $ready += strlen(fread($readyRead, $processes - $ready))) {
        }
        $started = hrtime(true);
        fwrite($write, str_repeat('g', $processes));
        $failed = 0;
        foreach ($children as $pid) {
            pcntl_waitpid($pid, $status);
            $failed += pcntl_wifsignaled($status) && pcntl_wtermsig($status) === SIGKILL ? 0 : 1;
        }
        $seconds[] = (hrtime(true) - $started) / 1e9;
        fclose($cpuWrite);
        $cpu[] = array_sum(array_map('floatval', explode("\n", trim(stream_get_contents($cpuRead)))));
        if ($failed) {
            fwrite(STDERR, "$name: $failed workers had validations that did not pass\n");
            exit(1);
        }
    }
    report($name, $perChild * $processes, $seconds, $cpu, $before);
}

function verifier(): Passgate\Verifier
{
    global $base, $ca, $secret;
    return new Passgate\Verifier(['provider' => 'recaptcha', 'secret_key' => $secret, 'api_base' => $base,
        'ca_file' => $ca, 'environment' => 'production']);
}

function passgate_rows(): void
{
    global $config;
    $verifier = verifier();
    $work = fn ($tok) => $verifier->validate($tok, ['client_ip' => '127.0.0.1'])->ok;
    $work(token('warm-up', 0, 0));
    timed('php passgate 1', $work);
    foreach ($config['in_flight'] as $processes) {
        if ($processes > 1) {
            timed_processes("php passgate $processes", $processes, function () {
                $verifier = verifier();
                $verifier->validate(token('warm-up', getmypid(), 0), ['client_ip' => '127.0.0.1']);
                return $verifier;
            }, fn ($tok, $verifier) => $verifier->validate($tok, ['client_ip' => '127.0.0.1'])->ok);
        }
    }
}

function form(string $tok): string
{
    global $secret;
    return http_build_query(['secret' => $secret, 'response' => $tok, 'remoteip' => '127.0.0.1']);
}

function curl_post($handle, string $tok): bool
{
    curl_setopt($handle, CURLOPT_POSTFIELDS, form($tok));
    $body = curl_exec($handle);
    return $body !== false && (json_decode($body, true)['success'] ?? false) === true;
}

function curl_handle()
{
    global $url, $ca;
    $handle = curl_init($url);
    curl_setopt_array($handle, [CURLOPT_POST => true, CURLOPT_RETURNTRANSFER => true, CURLOPT_CAINFO => $ca,
        CURLOPT_TIMEOUT => 5]);
    return $handle;
}

function plain_rows(): void
{
    global $config;
    $kept = curl_handle();
    curl_post($kept, token('warm-up', 0, 1));
    timed('php curl handle reused 1', fn ($tok) => curl_post($kept, $tok));
    timed('php curl per call 1', function ($tok) {
        $handle = curl_handle();
        $ok = curl_post($handle, $tok);
        curl_close($handle);
        return $ok;
    }, max(intdiv($config['calls'], 10), 50));
}

function peer_rows(): void
{
    global $config, $url, $secret;
    require '/usr/share/php/ReCaptcha/autoload.php';
    $calls = max(intdiv($config['calls'], 10), 50);
    // Post uses PHP streams (openssl.cafile), CurlPost ext-curl (curl.cainfo).
    $post = new \ReCaptcha\ReCaptcha($secret, new \ReCaptcha\RequestMethod\Post($url));
    timed('php peer google/recaptcha Post 1', fn ($tok) => $post->verify($tok, '127.0.0.1')->isSuccess(), $calls);
    $curl = new \ReCaptcha\ReCaptcha($secret, new \ReCaptcha\RequestMethod\CurlPost(null, $url));
    timed('php peer google/recaptcha CurlPost 1', fn ($tok) => $curl->verify($tok, '127.0.0.1')->isSuccess(), $calls);
}

['passgate' => 'passgate_rows', 'plain' => 'plain_rows', 'peers' => 'peer_rows'][$group]();
