<?php
// The page half: Verifier::widget(), Verifier::csp() and Passgate\widget().

use PHPUnit\Framework\TestCase;

final class WidgetTest extends TestCase
{
    private const SECRET = 'sk_live_WIDGET_SECRET_value';

    /** provider => [options, the key the browser gets, the loader's origin]. */
    private const PROVIDERS = [
        'captchala' => [['app_key' => 'ak_widget_app', 'app_secret' => self::SECRET], 'ak_widget_app', 'https://cdn.captcha-cdn.net'],
        'recaptcha' => [['secret_key' => self::SECRET, 'site_key' => 'rc_widget_site'], 'rc_widget_site', 'https://www.google.com'],
        'hcaptcha' => [['secret_key' => self::SECRET, 'site_key' => 'hc_widget_site'], 'hc_widget_site', 'https://js.hcaptcha.com'],
        'turnstile' => [['secret_key' => self::SECRET, 'site_key' => 'ts_widget_site'], 'ts_widget_site', 'https://challenges.cloudflare.com'],
    ];

    private const FIELDS = ['captchala' => 'captchala_token', 'recaptcha' => 'g-recaptcha-response',
        'hcaptcha' => 'h-captcha-response', 'turnstile' => 'cf-turnstile-response'];

    private static function verifier(string $provider, array $overrides = []): Passgate\Verifier
    {
        return new Passgate\Verifier($overrides + self::PROVIDERS[$provider][0] + ['provider' => $provider, 'environment' => 'test']);
    }

    /**
     * Splits the widget into its markup, the script's nonce (null without
     * one) and the inline script's text, checking there is exactly one script
     * and that it comes last.
     *
     * @return array{0: string, 1: ?string, 2: string}
     */
    private static function parse(string $html): array
    {
        self::assertSame(1, substr_count($html, '<script'), $html);
        self::assertSame(1, substr_count($html, '</script>'), $html);
        self::assertMatchesRegularExpression('~\A<div class="passgate-widget" .*</div><script( nonce="[^"]*")?>.*</script>\z~s', $html);
        preg_match('~\A(.*</div>)<script(?: nonce="([^"]*)")?>(.*)</script>\z~s', $html, $m);
        return [$m[1], $m[2] === '' ? null : $m[2], $m[3]];
    }

    /** The CSP source a browser computes for an inline script. */
    private static function hashSource(string $script): string
    {
        return "'sha256-" . base64_encode(hash('sha256', $script, true)) . "'";
    }

    /** Whether a CSP source list allows a URL (host sources: scheme, *. wildcard, port, path prefix). */
    private static function allows(array $sources, string $url): bool
    {
        $u = parse_url($url);
        foreach ($sources as $source) {
            if ($source[0] === "'" || !preg_match('~\A(https?)://(\*\.)?([^/:]+)(?::(\d+))?(/.*)?\z~', $source, $s)) {
                continue;
            }
            $host = $s[2] === '' ? $u['host'] === $s[3] : str_ends_with($u['host'], '.' . $s[3]);
            $port = ($u['port'] ?? null) === (($s[4] ?? '') === '' ? null : (int) $s[4]);
            $path = ($s[5] ?? '') === '' || (str_ends_with($s[5], '/') ? str_starts_with($u['path'] ?? '/', $s[5]) : ($u['path'] ?? '/') === $s[5]);
            if ($u['scheme'] === $s[1] && $host && $port && $path) {
                return true;
            }
        }
        return false;
    }

    private static function attribute(string $html, string $name): ?string
    {
        return preg_match('~ ' . preg_quote($name, '~') . '="([^"]*)"~', $html, $m) ? html_entity_decode($m[1], ENT_QUOTES | ENT_HTML5) : null;
    }

    public function testEachProviderHasItsKeyActionFieldAndNonceButNeverTheSecret(): void
    {
        foreach (self::PROVIDERS as $provider => [, $key, $origin]) {
            $verifier = self::verifier($provider);
            $html = $verifier->widget(['action' => 'login', 'nonce' => 'bm9uY2Ux+/=']);
            [$markup, $nonce, $script] = self::parse($html);
            $this->assertSame('bm9uY2Ux+/=', $nonce, $provider);
            $this->assertSame(1, substr_count($html, 'bm9uY2Ux'), "$provider: the nonce is on the script only");
            $this->assertSame($provider, self::attribute($markup, 'data-passgate-provider'));
            $this->assertSame($key, self::attribute($markup, 'data-sitekey'), $provider);
            $this->assertSame('login', self::attribute($markup, 'data-action'), $provider);
            $this->assertSame(self::FIELDS[$provider], self::attribute($markup, 'data-passgate-field'), $provider);
            $this->assertSame($verifier->formField(), self::FIELDS[$provider]);
            $this->assertStringStartsWith("$origin/", self::attribute($markup, 'data-passgate-loader'), $provider);
            $this->assertStringContainsString('<p class="passgate-widget-error" role="alert" hidden>', $markup);
            // CaptchaLa's widget posts through a hidden input; the others make their own.
            $this->assertSame($provider === 'captchala' ? 1 : 0, substr_count($markup, '<input type="hidden" name="captchala_token" value="">'), $provider);
            $this->assertSame($provider === 'captchala' ? 1 : 0, substr_count($markup, '<input'), $provider);
            $this->assertStringNotContainsString(self::SECRET, $html, $provider);
            $this->assertStringNotContainsString('WIDGET_SECRET', json_encode($verifier->csp()), $provider);
            $this->assertNotEmpty(trim($script));
        }
    }

    public function testWithoutArgumentsThereIsNoActionAndNoNonce(): void
    {
        foreach ([null, [], ['action' => null, 'nonce' => null]] as $args) {
            [$markup, $nonce] = self::parse(self::verifier('turnstile')->widget($args));
            $this->assertNull($nonce, json_encode($args));
            $this->assertStringNotContainsString('data-action', $markup);
            $this->assertSame('ts_widget_site', self::attribute($markup, 'data-sitekey'));
        }
        [$markup] = self::parse(self::verifier('turnstile')->widget(['cdata' => 'order-17']));
        $this->assertSame('order-17', self::attribute($markup, 'data-cdata'));
        [$markup] = self::parse(self::verifier('captchala')->widget(['server_token' => 'sct_abc-123']));
        $this->assertSame('sct_abc-123', self::attribute($markup, 'data-server-token'));
    }

    public function testTheLoadFailureHintSpeaksTheLanguageAndIsEscaped(): void
    {
        $hint = fn (string $html) => preg_match('~<p class="passgate-widget-error" role="alert" hidden>([^<]*)</p>~', $html, $m) ? $m[1] : null;
        $english = $hint(self::verifier('hcaptcha')->widget());
        $french = $hint(self::verifier('hcaptcha')->widget(['lang' => 'fr']));
        $this->assertNotEmpty($english);
        $this->assertNotEmpty($french);
        $this->assertNotSame($english, $french);
        $this->assertStringNotContainsString("'", $french, 'the apostrophe of "n\'a" is an entity');
        $this->assertStringContainsString("n'a", html_entity_decode($french, ENT_QUOTES | ENT_HTML5));
    }

    public function testKeysAreEscapedInAttributes(): void
    {
        $html = self::verifier('turnstile', ['site_key' => 'k"><img/src=x/onerror=alert(1)>'])->widget(['action' => 'login']);
        [$markup] = self::parse($html);
        $this->assertStringNotContainsString('<img', $html);
        $this->assertSame('k"><img/src=x/onerror=alert(1)>', self::attribute($markup, 'data-sitekey'));
    }

    public function testEveryCallHasItsOwnId(): void
    {
        $ids = [];
        foreach (array_keys(self::PROVIDERS) as $provider) {
            $verifier = self::verifier($provider);
            for ($i = 0; $i < 3; $i++) {
                [$markup] = self::parse($verifier->widget(['action' => 'login']));
                $this->assertSame(1, preg_match_all('~ id="([^"]*)"~', $markup, $m), $markup);
                $this->assertMatchesRegularExpression('~\Apassgate-\d+\z~', $m[1][0]);
                $ids[] = $m[1][0];
            }
        }
        $this->assertCount(12, $ids);
        $this->assertSame($ids, array_values(array_unique($ids)), 'two widgets share an id: ' . implode(' ', $ids));
    }

    public function testBadArgumentsThrowConfigExceptionNamingThem(): void
    {
        $cases = [
            ['captchala', ['action' => 42], 'action'],
            ['captchala', ['action' => 'log in'], 'action'],
            ['turnstile', ['action' => '"><script>alert(1)</script>'], 'action'],
            ['turnstile', ['action' => str_repeat('a', 33)], 'action'],
            ['recaptcha', ['nonce' => '"onload="alert(1)'], 'nonce'],
            ['recaptcha', ['nonce' => 5], 'nonce'],
            ['captchala', ['cdata' => 'order-17'], 'cdata'],
            ['recaptcha', ['cdata' => 'order-17'], 'cdata'],
            ['hcaptcha', ['cdata' => 'order-17'], 'cdata'],
            ['turnstile', ['cdata' => '<x>'], 'cdata'],
            ['turnstile', ['server_token' => 'sct_abc'], 'server_token'],
            ['recaptcha', ['server_token' => 'sct_abc'], 'server_token'],
            ['hcaptcha', ['server_token' => 'sct_abc'], 'server_token'],
            ['captchala', ['server_token' => 'sct "quoted"'], 'server_token'],
            ['hcaptcha', ['sitekey' => 'x'], 'sitekey'],
            ['captchala', ['login'], '0'],
            ['turnstile', ['lang' => ['fr']], 'lang'],
        ];
        foreach (['recaptcha', 'hcaptcha', 'turnstile'] as $provider) {
            $cases[] = [$provider, ['action' => 'login'], 'site_key', ['site_key' => null]];
        }
        foreach ($cases as $case) {
            [$provider, $args, $name] = $case;
            $options = self::PROVIDERS[$provider][0];
            foreach ($case[3] ?? [] as $option => $value) {
                unset($options[$option]);
            }
            // A verifier without a site_key still validates: only the widget needs it.
            $verifier = new Passgate\Verifier($options + ['provider' => $provider, 'environment' => 'test']);
            $label = "$provider " . json_encode($args);
            try {
                $verifier->widget($args);
                $this->fail("no exception for $label");
            } catch (Passgate\ConfigException $e) {
                $this->assertStringContainsString(": $name:", $e->getMessage(), $label);
                $this->assertStringNotContainsString(self::SECRET, $e->getMessage());
            }
        }
    }

    public function testTheCspHashIsTheInlineScriptsHash(): void
    {
        $scripts = [];
        foreach (array_keys(self::PROVIDERS) as $provider) {
            $verifier = self::verifier($provider);
            $csp = $verifier->csp();
            $hashes = array_values(array_filter($csp['script-src'], fn ($source) => str_starts_with($source, "'sha256-")));
            foreach ([['action' => 'login', 'nonce' => 'abc123'], null, ['lang' => 'ja']] as $args) {
                [, , $script] = self::parse($verifier->widget($args));
                $this->assertSame([self::hashSource($script)], $hashes, "$provider " . json_encode($args));
                $scripts[$script] = true;
            }
            // The loader's origin is allowed, and nothing unsafe.
            $loader = self::attribute(self::parse($verifier->widget())[0], 'data-passgate-loader');
            $this->assertTrue(self::allows($csp['script-src'], $loader), "$provider: script-src does not allow $loader");
            $this->assertStringNotContainsString("'unsafe-", json_encode($csp), $provider);
            foreach ($csp as $directive => $sources) {
                $this->assertMatchesRegularExpression('~\A[a-z]+-src\z~', $directive);
                $this->assertSame($sources, array_values(array_unique($sources)), "$provider $directive");
            }
        }
        $this->assertCount(1, $scripts, 'the bootstrap is one fixed text for every provider and argument');
    }

    public function testScriptUrlsOriginReplacesTheProvidersHosts(): void
    {
        foreach (array_keys(self::PROVIDERS) as $provider) {
            $default = self::verifier($provider)->csp();
            $verifier = self::verifier($provider, ['script_url' => 'https://cdn.example.com:8443/passgate/loader.js']);
            $csp = $verifier->csp();
            $this->assertNotEmpty($csp);
            foreach ($csp as $directive => $sources) {
                $hosts = array_values(array_filter($sources, fn ($source) => !str_starts_with($source, "'")));
                $own = array_values(array_filter($default[$directive] ?? [], fn ($source) => !str_starts_with($source, "'")));
                $this->assertSame([...$own, 'https://cdn.example.com:8443'], $hosts, "$provider $directive");
            }
            $this->assertContains(self::hashSource(self::parse($verifier->widget())[2]), $csp['script-src']);
            foreach ($default as $directive => $sources) {
                $this->assertArrayHasKey($directive, $csp, "$provider: $directive is still set");
            }
            $loader = self::attribute(self::parse($verifier->widget())[0], 'data-passgate-loader');
            $this->assertStringStartsWith('https://cdn.example.com:8443/passgate/loader.js', $loader, $provider);
            $this->assertTrue(self::allows($csp['script-src'], $loader), "$provider: $loader");
            $this->assertFalse(self::allows($csp['script-src'], 'https://cdn.example.com/passgate/loader.js'), 'another port');
            $this->assertFalse(self::allows($csp['script-src'], 'https://evil.example.com:8443/loader.js'), 'another host');
        }
        $this->expectException(Passgate\ConfigException::class);
        $this->expectExceptionMessage('script_url');
        self::verifier('turnstile', ['script_url' => 'http://cdn.example.com/loader.js']);
    }

    public function testVarDumpOfASiteverifyVerifierNeverShowsTheSecret(): void
    {
        foreach (['recaptcha', 'hcaptcha', 'turnstile'] as $provider) {
            $verifier = self::verifier($provider);
            ob_start();
            var_dump($verifier);
            print_r($verifier);
            var_export($verifier);
            echo json_encode((array) $verifier), json_encode(get_object_vars($verifier));
            $printed = ob_get_clean();
            $this->assertStringContainsString(self::PROVIDERS[$provider][1], $printed, 'the public site key is shown');
            $this->assertStringNotContainsString('WIDGET_SECRET', $printed, $provider);
        }
    }

    /**
     * Runs $code in a fresh PHP with the extension, after putenv() of $env
     * there, with nothing else of this process's environment but PATH. The
     * code's JSON output is decoded.
     */
    private static function child(array $env, string $code): array
    {
        $extension = getenv('PASSGATE_PHP_EXTENSION') ?: REPO . '/target/php/passgate.so';
        $prelude = 'foreach (json_decode($argv[1], true) as $name => $value) { putenv("$name=$value"); } ';
        $process = proc_open([PHP_BINARY, '-n', '-d', "extension=$extension", '-r', $prelude . $code, '--', json_encode($env)],
            [0 => ['file', '/dev/null', 'r'], 1 => ['pipe', 'w'], 2 => ['file', '/dev/null', 'w']],
            $pipes, null, ['PATH' => getenv('PATH') ?: '/usr/bin:/bin']);
        $output = stream_get_contents($pipes[1]);
        fclose($pipes[1]);
        $status = proc_close($process);
        self::assertSame(0, $status, $output);
        $answer = json_decode($output, true);
        self::assertIsArray($answer, $output);
        return $answer;
    }

    private const CHILD = <<<'PHP'
        $answer = [];
        try {
            $answer['widget'] = Passgate\widget(['action' => 'login', 'nonce' => 'Y2hpbGQ=']);
        } catch (Passgate\ConfigException $e) {
            $answer['error'] = $e->getMessage();
        }
        $verifier = Passgate\Verifier::fromEnv();
        $answer['csp'] = $verifier->csp();
        $answer['field'] = $verifier->formField();
        ob_start();
        var_dump($verifier);
        print_r($verifier);
        var_export($verifier);
        $answer['dump'] = ob_get_clean();
        echo json_encode($answer);
        PHP;

    public function testTheWidgetFunctionReadsTheEnvironment(): void
    {
        $names = ['PASSGATE_PROVIDER', 'PASSGATE_SECRET_KEY', 'PASSGATE_SITE_KEY', 'CAPTCHALA_APP_KEY', 'CAPTCHALA_APP_SECRET', 'PASSGATE_SCRIPT_URL'];
        $before = array_map('getenv', $names);

        $turnstile = self::child(['PASSGATE_PROVIDER' => 'turnstile', 'PASSGATE_SECRET_KEY' => self::SECRET, 'PASSGATE_SITE_KEY' => 'ts_env_site'], self::CHILD);
        [$markup, $nonce, $script] = self::parse($turnstile['widget']);
        $this->assertSame(['turnstile', 'ts_env_site', 'login', 'Y2hpbGQ=', 'cf-turnstile-response'],
            [self::attribute($markup, 'data-passgate-provider'), self::attribute($markup, 'data-sitekey'),
             self::attribute($markup, 'data-action'), $nonce, $turnstile['field']]);
        $this->assertContains(self::hashSource($script), $turnstile['csp']['script-src']);
        $this->assertContains('https://challenges.cloudflare.com', $turnstile['csp']['script-src']);
        $this->assertStringContainsString('ts_env_site', $turnstile['dump']);

        $captchala = self::child(['CAPTCHALA_APP_KEY' => 'ak_env_app', 'CAPTCHALA_APP_SECRET' => self::SECRET,
            'PASSGATE_SCRIPT_URL' => 'https://loader.example.net/captchala.js'], self::CHILD);
        [$markup] = self::parse($captchala['widget']);
        $this->assertSame(['captchala', 'ak_env_app', 'https://loader.example.net/captchala.js'],
            [self::attribute($markup, 'data-passgate-provider'), self::attribute($markup, 'data-sitekey'), self::attribute($markup, 'data-passgate-loader')]);
        $this->assertSame(['https://cdn.captcha-cdn.net', 'https://loader.example.net'], array_values(array_filter($captchala['csp']['script-src'], fn ($s) => $s[0] !== "'")));

        // A siteverify provider without PASSGATE_SITE_KEY: the verifier works, the widget names what is missing.
        $noSiteKey = self::child(['PASSGATE_PROVIDER' => 'hcaptcha', 'PASSGATE_SECRET_KEY' => self::SECRET], self::CHILD);
        $this->assertArrayNotHasKey('widget', $noSiteKey);
        $this->assertStringContainsString(': site_key:', $noSiteKey['error']);
        $this->assertSame('h-captcha-response', $noSiteKey['field']);

        foreach ([$turnstile, $captchala, $noSiteKey] as $answer) {
            $this->assertStringContainsString('Passgate\\Verifier', $answer['dump']);
            $this->assertStringNotContainsString('WIDGET_SECRET', json_encode($answer));
        }
        // Nothing leaked into this process's environment.
        $this->assertSame($before, array_map('getenv', $names));
    }
}
