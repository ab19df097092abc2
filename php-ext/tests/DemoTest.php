<?php
// The PHP demo prints the demo cases with the same codes as `passgate demo`.

use PHPUnit\Framework\TestCase;

final class DemoTest extends TestCase
{
    private static function codes(string $output): array
    {
        $codes = [];
        foreach (explode("\n", $output) as $line) {
            if (preg_match('/^(\S+\[\d+\])\s+(\S+)\s+(\d+)/', $line, $m)) {
                $codes[] = [$m[1], $m[2], $m[3]];
            }
        }
        return $codes;
    }

    public function testPhpDemoMatchesTheRustDemo(): void
    {
        $bin = getenv('PASSGATE_BIN') ?: REPO . '/target/debug/passgate';
        $extension = (string) getenv('PASSGATE_PHP_EXTENSION');
        exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=' . escapeshellarg($extension) . ' '
            . escapeshellarg(dirname(__DIR__) . '/examples/demo.php') . ' ' . escapeshellarg($bin) . ' 2>&1', $php, $phpStatus);
        $this->assertSame(0, $phpStatus, implode("\n", $php));
        exec(escapeshellarg($bin) . ' demo 2>&1', $rust, $rustStatus);
        $this->assertSame(0, $rustStatus, implode("\n", $rust));
        $this->assertGreaterThanOrEqual(10, count(self::codes(implode("\n", $php))));
        $this->assertSame(self::codes(implode("\n", $rust)), self::codes(implode("\n", $php)));
    }
}
