<?php

namespace Passgate\Symfony;

use Symfony\Component\HttpKernel\Bundle\Bundle;

/** The `passgate:` configuration, the Passgate\Verifier service, CaptchaType, #[Captcha] and passgate_widget(). */
final class PassgateBundle extends Bundle
{
    public function getPath(): string
    {
        // templates/ sits beside src/.
        return \dirname(__DIR__);
    }
}
