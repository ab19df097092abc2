<?php

namespace Passgate\Symfony\Command;

use Symfony\Component\Console\Attribute\AsCommand;
use Symfony\Component\Console\Command\Command;
use Symfony\Component\Console\Input\InputInterface;
use Symfony\Component\Console\Input\InputOption;
use Symfony\Component\Console\Output\OutputInterface;

/**
 * `bin/console passgate:doctor [--json]`: Passgate\doctor() with the app's
 * `passgate:` configuration (each value given there shows as
 * [config/packages/passgate.yaml]). Exits 0 when no check failed, 1 when one did.
 */
#[AsCommand(name: 'passgate:doctor', description: "Check passgate's configuration, the provider's API, the keys, the clock and the replay store")]
final class DoctorCommand extends Command
{
    public const SOURCE = 'config/packages/passgate.yaml';

    /** @param array<string, mixed> $options the verifier's options, less logger and on_outcome */
    public function __construct(private array $options)
    {
        parent::__construct();
    }

    protected function configure(): void
    {
        $this->addOption('json', null, InputOption::VALUE_NONE, 'print the JSON report');
    }

    protected function execute(InputInterface $input, OutputInterface $output): int
    {
        $json = (bool) $input->getOption('json');
        $report = \Passgate\doctor($this->options, $json, self::SOURCE);
        // Raw: the report is plain text (or JSON), not console markup.
        $output->write($json ? $report . "\n" : $report, false, OutputInterface::OUTPUT_RAW);
        return self::passed($report, $json) ? Command::SUCCESS : Command::FAILURE;
    }

    /** The JSON's `ok`; the text's last line counts the failed checks ("0 failed, 1 warning(s)"). */
    private static function passed(string $report, bool $json): bool
    {
        return $json ? json_decode($report, true)['ok'] === true : preg_match('/^0 failed,/m', $report) === 1;
    }
}
