# frozen_string_literal: true

# A minimal Rails app booted in its own process by rails_boot_test.rb (one
# Rails application per process). EAGER_LOAD=1 or 0 sets config.eager_load;
# PASSGATE_CONFIG is config.passgate as JSON; APP_ROOT an empty directory.
# Prints one JSON line: how many verifiers the boot built, then what the
# first use of Passgate::Rails.verifier gave. A Passgate::ConfigError at boot
# is not rescued: the process fails as a Rails boot does.

require "json"
require "logger"
require "rails"
require "action_controller/railtie"
require "passgate"

$verifiers_built = 0
Passgate::Verifier.singleton_class.prepend(Module.new do
  def new(...)
    super.tap { $verifiers_built += 1 }
  end
end)

class BootApp < Rails::Application
  config.root = ENV.fetch("APP_ROOT")
  config.eager_load = ENV.fetch("EAGER_LOAD") == "1"
  config.logger = Logger.new(nil)
  config.secret_key_base = "passgate-boot-#{"x" * 48}"
  config.active_support.deprecation = :silence
  config.passgate.merge!(JSON.parse(ENV.fetch("PASSGATE_CONFIG"), symbolize_names: true))
end

Rails.application.initialize!
state = { built_at_boot: $verifiers_built }
begin
  Passgate::Rails.verifier
  state[:first_use] = "built"
rescue Passgate::ConfigError => e
  state[:first_use] = e.class.name
  state[:message] = e.message
end
state[:built] = $verifiers_built
puts JSON.generate(state)
