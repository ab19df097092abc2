<?php

namespace Passgate\Symfony\DependencyInjection;

use Symfony\Component\Config\Definition\Builder\TreeBuilder;
use Symfony\Component\Config\Definition\ConfigurationInterface;

/**
 * `passgate:` — the verifier's options (docs/configuration.md), each null
 * (not given: the extension reads its environment variable, or uses its
 * default) unless set, plus `logger`, the service each validation is logged to,
 * and `on_outcome`, the service each outcome is given to.
 */
final class Configuration implements ConfigurationInterface
{
    /** The verifier's options of type string or number (the extension checks and converts them). */
    public const SCALAR_OPTIONS = ['provider', 'app_key', 'app_secret', 'secret_key', 'site_key', 'environment', 'api_base',
        'script_url', 'backup_api_base', 'min_score', 'max_risk_score', 'replay_store', 'redis_key_prefix', 'store_timeout_ms',
        'timeout_ms', 'max_token_age_s', 'clock_skew_s', 'mode', 'ca_file', 'max_entries'];

    public const BOOLEAN_OPTIONS = ['allow_client_only', 'allow_degraded', 'fail_open_on_store_error'];

    public function getConfigTreeBuilder(): TreeBuilder
    {
        $tree = new TreeBuilder('passgate');
        $children = $tree->getRootNode()->children();
        foreach (self::SCALAR_OPTIONS as $option) {
            $children->scalarNode($option)->defaultNull()->end();
        }
        $children
            ->arrayNode('expected_hostnames')
                ->info('a list, or one string of comma-separated names')
                ->beforeNormalization()->ifString()->then(fn (string $names) => array_values(array_filter(array_map('trim', explode(',', $names)), 'strlen')))->end()
                ->scalarPrototype()->end()
            ->end();
        foreach (self::BOOLEAN_OPTIONS as $option) {
            $children->booleanNode($option)->defaultNull()->end();
        }
        $children
            ->scalarNode('logger')
                ->info('the id of the PSR-3 logger service each validation is logged to (info on a pass, warning on a failure); null: none')
                ->defaultValue('logger')
            ->end()
            ->scalarNode('on_outcome')
                ->info('the id of an invokable service called with each Passgate\\Outcome after its log record (count it in your metrics); null: none')
                ->defaultNull()
            ->end();
        return $tree;
    }
}
