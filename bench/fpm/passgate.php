<?php
// The `php-fpm passgate` page of `make bench`: one validation per request, as
// an app's form handler does it. The Verifier is built per request (PHP
// objects die with the request); the extension keeps one verifier per
// configuration per worker, so its connection to the upstream outlives the
// request. Settings come from the pool's env[...].

$verifier = new Passgate\Verifier([
    'provider' => 'recaptcha', 'secret_key' => getenv('BENCH_SECRET'), 'api_base' => getenv('BENCH_UPSTREAM'),
    'ca_file' => getenv('BENCH_CA'), 'environment' => 'production',
]);
$outcome = $verifier->validate($_GET['t'] ?? null, ['client_ip' => $_SERVER['REMOTE_ADDR'] ?? null]);
http_response_code($outcome->ok ? 200 : 403);
echo $outcome->ok ? 'ok' : $outcome->code;
