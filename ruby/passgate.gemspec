# frozen_string_literal: true

require_relative "lib/passgate/version"
require_relative "tools/vendor_core"

# Building from a checkout: vendor a fresh copy of the core into the gem.
PassgateVendor.run! if PassgateVendor.available?

Gem::Specification.new do |spec|
  spec.name = "passgate"
  spec.version = Passgate::VERSION
  spec.summary = "Server-side CAPTCHA verification with stable outcome codes and structured logs"
  spec.description = "Verifies CAPTCHA pass tokens of CaptchaLa, reCAPTCHA, hCaptcha and Turnstile: pooled " \
                     "upstream calls, a replay guard, expiry, action and hostname checks, one outcome code per " \
                     "failure and one structured log record per call. Rails and Rack helpers included."
  spec.authors = ["passgate"]
  spec.licenses = ["MIT", "Apache-2.0"]
  spec.required_ruby_version = ">= 3.0"
  spec.files = Dir[
    "README.md", "lib/**/*.rb", "exe/*",
    "ext/passgate/extconf.rb", "ext/passgate/Cargo.toml", "ext/passgate/Cargo.lock", "ext/passgate/src/**/*.rs",
    "vendor/passgate-core/Cargo.toml", "vendor/passgate-core/src/**/*.{rs,js}",
  ]
  spec.require_paths = ["lib"]
  # `bundle exec passgate-doctor [--json]`: Passgate.doctor from the environment.
  spec.bindir = "exe"
  spec.executables = ["passgate-doctor"]
  spec.extensions = ["ext/passgate/extconf.rb"]
end
