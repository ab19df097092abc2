<?php
// Cross-language replay test, PHP side (see worker.py). PHP has no threads:
// each token is validated by FORKS processes at once, each doing its share.

$tokens = explode(',', getenv('TOKENS'));
$count = (int) getenv('PER_PROCESS');
$forks = 10;
echo "ready\n";
fgets(STDIN);
$result = [];
foreach ($tokens as $token) {
    $children = [];
    for ($f = 0; $f < $forks; $f++) {
        $file = tempnam(sys_get_temp_dir(), 'passgate-cross');
        $pid = pcntl_fork();
        if ($pid === 0) {
            $verifier = new Passgate\Verifier(['app_key' => 'test-app-key', 'app_secret' => 'test-app-secret', 'environment' => 'test',
                'api_base' => getenv('EMULATOR_URL'), 'replay_store' => getenv('REDIS_URL')]);
            $codes = [];
            for ($i = $f; $i < $count; $i += $forks) {
                $code = $verifier->validate($token)->code;
                $codes[$code] = ($codes[$code] ?? 0) + 1;
            }
            file_put_contents($file, json_encode($codes));
            exit(0);
        }
        $children[$pid] = $file;
    }
    $result[$token] = [];
    foreach ($children as $pid => $file) {
        pcntl_waitpid($pid, $status);
        foreach (json_decode(file_get_contents($file), true) ?? [] as $code => $n) {
            $result[$token][$code] = ($result[$token][$code] ?? 0) + $n;
        }
        unlink($file);
    }
}
echo json_encode($result), "\n";
