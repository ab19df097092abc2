<?php
// A front controller protected by passgate, served by PHP-FPM and `php -S`.
// Configuration comes from the environment (CAPTCHALA_*, PASSGATE_*). The
// replay store can also be set per request by the web server as FastCGI
// params (nginx `fastcgi_param PASSGATE_REPLAY_STORE ...`): a client cannot
// set those, its headers arrive as HTTP_*.

$options = isset($_GET['down']) ? ['api_base' => 'http://127.0.0.1:1', 'timeout_ms' => 500] : [];
foreach (['replay_store' => 'PASSGATE_REPLAY_STORE', 'store_timeout_ms' => 'PASSGATE_STORE_TIMEOUT_MS'] as $option => $param) {
    if (isset($_SERVER[$param])) {
        $options[$option] = $_SERVER[$param];
    }
}
$verifier = new Passgate\Verifier($options);
// The token field of a form post or of a JSON body, whatever its shape
// (`captchala_token[]=...` makes it an array): validate() takes any value.
$token = str_contains($_SERVER['CONTENT_TYPE'] ?? '', 'json')
    ? (json_decode((string) file_get_contents('php://input'), true)['captchala_token'] ?? null)
    : ($_POST['captchala_token'] ?? null);
$outcome = $verifier->validate($token, [
    'client_ip' => $_SERVER['REMOTE_ADDR'] ?? null,
    'action' => $_GET['action'] ?? null,
]);
http_response_code($outcome->httpStatus);
header('Content-Type: application/json');
echo json_encode(['code' => $outcome->code, 'message' => $outcome->message, 'pid' => getmypid(),
    'ran' => $outcome->ok]);
