<?php

namespace Passgate\Laravel;

use Illuminate\Contracts\Translation\Translator;
use Illuminate\Translation\Translator as FileTranslator;
use Passgate\Outcome;

/**
 * An outcome's user-safe message: the app's `passgate.<code>` line
 * (lang/<locale>/passgate.php) for the locale, else for its language, else
 * the core's message in that locale.
 */
final class Messages
{
    /** Whether $locale is a plain tag (pt_BR, de, zh-TW), safe to hand to the translator. */
    public static function isPlainLocale(string $locale): bool
    {
        return preg_match('/\A[A-Za-z]{2,8}(?:[_-][A-Za-z0-9]{1,8})*\z/', $locale) === 1;
    }

    public static function for(Outcome $outcome, string $locale, ?Translator $translator): string
    {
        // A locale may come from a request header: only a plain tag reaches the
        // translator, whose FileLoader would otherwise follow ../ out of lang/.
        if ($translator !== null && self::isPlainLocale($locale)) {
            $key = "passgate.{$outcome->code}";
            foreach (array_unique([$locale, strtok($locale, '_-')]) as $candidate) {
                // false: this locale only, not the translator's fallback_locale,
                // so an English line never hides the core's French one.
                $text = $translator instanceof FileTranslator
                    ? $translator->get($key, [], $candidate, false)
                    : $translator->get($key, [], $candidate);
                if (is_string($text) && $text !== $key) {
                    return $text;
                }
            }
        }
        return $outcome->messageFor($locale);
    }
}
