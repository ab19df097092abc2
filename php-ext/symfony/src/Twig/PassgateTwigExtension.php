<?php

namespace Passgate\Symfony\Twig;

use Passgate\Symfony\WidgetRenderer;
use Twig\Extension\AbstractExtension;
use Twig\TwigFunction;

/** `{{ passgate_widget({action: 'login'}) }}`: the widget in a hand-written form. */
final class PassgateTwigExtension extends AbstractExtension
{
    public function __construct(private WidgetRenderer $renderer)
    {
    }

    public function getFunctions(): array
    {
        return [new TwigFunction('passgate_widget', [$this->renderer, 'render'], ['is_safe' => ['html']])];
    }
}
