# frozen_string_literal: true

# The app's CSP as a Rails app writes it (config/initializers): a per-request
# nonce for script-src, no 'unsafe-inline', and the widget's sources added by
# Passgate::Rails.content_security_policy after the app's own directives.

require "securerandom"

Rails.application.config.content_security_policy do |policy|
  policy.default_src :self
  policy.script_src :self
  policy.object_src :none
  policy.base_uri :none
  Passgate::Rails.content_security_policy(policy)
end
Rails.application.config.content_security_policy_nonce_generator = ->(_request) { SecureRandom.base64(16) }
Rails.application.config.content_security_policy_nonce_directives = %w[script-src]
