<?php
// Cross-language replay test, PHP side (see worker.py). PHP has no threads:
// each token is validated by PER_PROCESS forked children at once, one call
// each, with the verifier (and its Redis store) inherited from this process.

$options = ['app_key' => 'test-app-key', 'app_secret' => 'test-app-secret', 'environment' => 'test',
    'api_base' => getenv('EMULATOR_URL'), 'replay_store' => getenv('REDIS_URL')];
$count = (int) getenv('PER_PROCESS');
echo 'ready ', (new Passgate\Verifier($options))->validate('pt_cross_warmup_php')->code, "\n";
while (($line = fgets(STDIN)) !== false) {
    $token = trim($line);
    $children = [];
    for ($i = 0; $i < $count; $i++) {
        $file = tempnam(sys_get_temp_dir(), 'passgate-cross');
        $pid = pcntl_fork();
        if ($pid === 0) {
            file_put_contents($file, (new Passgate\Verifier($options))->validate($token)->code);
            exit(0);
        }
        $children[$pid] = $file;
    }
    $codes = [];
    foreach ($children as $pid => $file) {
        pcntl_waitpid($pid, $status);
        $code = file_get_contents($file);
        $codes[$code] = ($codes[$code] ?? 0) + 1;
        unlink($file);
    }
    echo json_encode($codes), "\n";
}
