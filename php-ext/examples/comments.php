<?php
// A comment form protected by passgate, in plain PHP: the widget through
// $verifier->widget() with this response's CSP nonce, a strict
// Content-Security-Policy header (a nonce, no 'unsafe-inline') built from
// $verifier->csp(), and the form re-rendered with what the user typed when
// the check fails. Configured from the environment (PASSGATE_*); run with
// `php -d extension=passgate.so -S 127.0.0.1:8000 comments.php`. The
// browser suite (tests/browser) walks through it.

declare(strict_types=1);

$verifier = Passgate\Verifier::fromEnv();
$action = getenv('COMMENT_ACTION');
$action = $action === false ? 'comment' : ($action === '' ? null : $action);
$nonce = base64_encode(random_bytes(16));

// The widget's sources, merged into the page's own policy.
$directives = ['default-src' => ["'self'"], 'script-src' => ["'nonce-$nonce'"], 'object-src' => ["'none'"], 'base-uri' => ["'none'"]];
foreach ($verifier->csp() as $directive => $sources) {
    $directives[$directive] = array_merge($directives[$directive] ?? ["'self'"], $sources);
}
header('Content-Security-Policy: ' . implode('; ', array_map(
    fn ($directive, $sources) => $directive . ' ' . implode(' ', $sources),
    array_keys($directives),
    $directives,
)));

$h = fn ($text) => htmlspecialchars((string) $text, ENT_QUOTES | ENT_HTML5, 'UTF-8');
$outcome = null;
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $outcome = $verifier->validate($_POST[$verifier->formField()] ?? null, [
        'client_ip' => $_SERVER['REMOTE_ADDR'] ?? null,
        'action' => $action,
    ]);
    if ($outcome->ok) {
        echo '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Saved</title></head><body>',
            '<h1 id="saved">Thanks, ', $h($_POST['name'] ?? ''), '</h1><p>Your comment was posted.</p></body></html>';
        return;
    }
    http_response_code($outcome->httpStatus);
}
?>
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Comments (PHP)</title></head>
<body><h1>Leave a comment</h1>
<?php if ($outcome): ?><p id="error" role="alert" data-code="<?= $h($outcome->code) ?>"><?= $h($outcome->message) ?></p><?php endif ?>
<form method="post" action="/">
<p><label>Name <input name="name" value="<?= $h($_POST['name'] ?? '') ?>"></label></p>
<p><label>Comment <textarea name="comment"><?= $h($_POST['comment'] ?? '') ?></textarea></label></p>
<?= $verifier->widget(['action' => $action, 'nonce' => $nonce]) ?>
<p><button type="submit">Post</button></p>
</form></body></html>
