<?php
// The `php-fpm curl per call` page of `make bench`: the common hand-written
// check, a new curl handle per request (so a new TLS connection per request).
// The CA comes from the pool's curl.cainfo, the other settings from env[...].

$handle = curl_init(getenv('BENCH_UPSTREAM') . '/recaptcha/api/siteverify');
curl_setopt_array($handle, [
    CURLOPT_POST => true, CURLOPT_RETURNTRANSFER => true, CURLOPT_TIMEOUT => 5,
    CURLOPT_POSTFIELDS => http_build_query([
        'secret' => getenv('BENCH_SECRET'), 'response' => $_GET['t'] ?? '', 'remoteip' => $_SERVER['REMOTE_ADDR'] ?? '',
    ]),
]);
$body = curl_exec($handle);
curl_close($handle);
$passed = $body !== false && (json_decode($body, true)['success'] ?? false) === true;
http_response_code($passed ? 200 : 403);
echo $passed ? 'ok' : 'failed';
