# frozen_string_literal: true

# A minimal Rails app for `rake passgate:doctor` (doctor_test.rb copies this
# directory into a temporary one and runs rake there). PASSGATE_CONFIG is
# config.passgate as JSON; CREDENTIALS_JSON, when set, stands in for the
# app's encrypted credentials.

require "json"
require "logger"
require "rails"
require "action_controller/railtie"
require "passgate"

class DoctorApp < Rails::Application
  config.root = File.expand_path("..", __dir__)
  config.eager_load = false
  config.logger = Logger.new(nil)
  config.secret_key_base = "passgate-doctor-#{"x" * 48}"
  config.active_support.deprecation = :silence
  config.passgate.merge!(JSON.parse(ENV.fetch("PASSGATE_CONFIG"), symbolize_names: true))
  # Verifier-only settings, which the doctor leaves out.
  config.passgate.logger = Logger.new(nil)
  config.passgate.on_outcome = ->(_outcome) {}

  if ENV["CREDENTIALS_JSON"]
    def credentials
      @credentials ||= JSON.parse(ENV.fetch("CREDENTIALS_JSON"), symbolize_names: true)
    end
  end
end
