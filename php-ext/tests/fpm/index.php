<?php
// A front controller protected by passgate, served by PHP-FPM and `php -S`.
// Configuration comes from the environment (CAPTCHALA_*, PASSGATE_*).

$options = isset($_GET['down']) ? ['api_base' => 'http://127.0.0.1:1', 'timeout_ms' => 500] : [];
$verifier = new Passgate\Verifier($options);
$outcome = $verifier->validate($_POST['captchala_token'] ?? null, [
    'client_ip' => $_SERVER['REMOTE_ADDR'] ?? null,
    'action' => $_GET['action'] ?? null,
]);
http_response_code($outcome->httpStatus);
header('Content-Type: application/json');
echo json_encode(['code' => $outcome->code, 'message' => $outcome->message, 'pid' => getmypid(),
    'ran' => $outcome->ok]);
