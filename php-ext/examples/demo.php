<?php
// `make demo`, PHP part: the demo cases of conformance/cases.json through the
// extension, printed like `passgate demo` prints them.

$repo = dirname(__DIR__, 2);
$cases = "$repo/conformance/cases.json";
$bin = $argv[1] ?? "$repo/target/debug/passgate";
$doc = json_decode(file_get_contents($cases), true);
$mock = proc_open([$bin, 'mock', '--script', $cases, '--exit-with-stdin'], [0 => ['pipe', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
$url = trim(fgets($pipes[1]));
echo 'passgate demo (PHP ' . PHP_VERSION . ") — emulator at $url\n\n";
$unexpected = 0;
foreach ($doc['cases'] as $case) {
    if (empty($case['demo'])) {
        continue;
    }
    $options = ($case['options'] ?? []) + $doc['defaults']['provider_options'][$case['provider'] ?? 'captchala'] + $doc['defaults']['options'];
    foreach ($options as $key => $value) {
        if (is_string($value)) {
            $options[$key] = str_replace('{emulator}', $url, $value);
        }
    }
    $verifier = new Passgate\Verifier($options);
    foreach ($case['calls'] as $index => $call) {
        $opts = array_filter(['client_ip' => $call['client_ip'] ?? null, 'action' => $call['action'] ?? null, 'uid' => $call['uid'] ?? null]);
        $outcome = $verifier->validate($call['token'] ?? null, $opts);
        $mark = $outcome->code === $call['expect']['code'] ? '' : '  << UNEXPECTED';
        $unexpected += $mark === '' ? 0 : 1;
        printf("%-42s %-21s %d  %s%s\n", "{$case['name']}[$index]", $outcome->code, $outcome->httpStatus, $outcome->message, $mark);
        echo '    ', json_encode($outcome->logFields, JSON_UNESCAPED_SLASHES), "\n";
    }
}
fclose($pipes[0]);
proc_terminate($mock);
exit($unexpected === 0 ? 0 : 1);
