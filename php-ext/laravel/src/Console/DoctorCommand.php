<?php

namespace Passgate\Laravel\Console;

use Illuminate\Console\Command;
use Passgate\Laravel\PassgateServiceProvider;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `php artisan passgate:doctor [--json]`: Passgate\doctor() with the app's
 * config/passgate.php (each value given there shows as [config/passgate.php]).
 * Exits 0 when no check failed, 1 when one did.
 */
final class DoctorCommand extends Command
{
    protected $signature = 'passgate:doctor {--json : print the JSON report}';

    protected $description = "Check passgate's configuration, the provider's API, the keys, the clock and the replay store";

    public function handle(): int
    {
        $json = (bool) $this->option('json');
        $options = PassgateServiceProvider::verifierOptions((array) $this->laravel->make('config')->get('passgate', []));
        $report = \Passgate\doctor($options, $json, 'config/passgate.php');
        // Raw: the report is plain text (or JSON), not console markup.
        $this->output->write($json ? $report . "\n" : $report, false, OutputInterface::OUTPUT_RAW);
        return self::passed($report, $json) ? self::SUCCESS : self::FAILURE;
    }

    /** The JSON's `ok`; the text's last line counts the failed checks ("0 failed, 1 warning(s)"). */
    private static function passed(string $report, bool $json): bool
    {
        return $json ? json_decode($report, true)['ok'] === true : preg_match('/^0 failed,/m', $report) === 1;
    }
}
