<?php

namespace Passgate\Symfony;

use Passgate\Outcome;
use Symfony\Component\Translation\TranslatorBagInterface;

/**
 * An outcome's user-safe message: the app's `passgate.<code>` line in the
 * `validators` domain (translations/validators.pt_BR.yaml) for the locale,
 * else for its language, else the core's message in that locale.
 */
final class Messages
{
    public const DOMAIN = 'validators';

    /** Whether $locale is a plain tag (pt_BR, de, zh-TW), safe to hand to the translator. */
    public static function isPlainLocale(string $locale): bool
    {
        return preg_match('/\A[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*\z/', $locale) === 1;
    }

    public static function for(Outcome $outcome, string $locale, ?object $translator): string
    {
        if ($translator instanceof TranslatorBagInterface && self::isPlainLocale($locale)) {
            $id = "passgate.{$outcome->code}";
            foreach (array_unique([$locale, strtok($locale, '_-')]) as $candidate) {
                // defines(): this locale's own lines, not its fallbacks', so an
                // English line never hides the core's French one.
                $catalogue = $translator->getCatalogue($candidate);
                if ($catalogue->defines($id, self::DOMAIN)) {
                    return $catalogue->get($id, self::DOMAIN);
                }
            }
        }
        return $outcome->messageFor($locale);
    }
}
