# frozen_string_literal: true

# A small Rails 6.1 app protected by Passgate::Rails, for the integration tests.

require "logger"
require "stringio"
require "rails"
require "action_controller/railtie"
require "action_view/railtie"
require "passgate"

module PassgateTestApp
  LOG = StringIO.new
  RAN = []

  class Application < ::Rails::Application
    config.root = __dir__
    config.eager_load = false
    config.hosts.clear
    config.secret_key_base = "passgate-tests-#{"x" * 48}"
    config.logger = Logger.new(LOG)
    config.active_support.deprecation = :silence
    config.action_dispatch.show_exceptions = false
  end
end

class SessionsController < ActionController::Base
  include Passgate::Rails::Controller
  require_captcha action: "login", only: :create, render: :new

  def new
    render :new
  end

  def create
    PassgateTestApp::RAN << :create
    render json: { done: true, code: passgate_outcome.code, client_ip: passgate_outcome.log_fields["client_ip"] }
  end
end

class CheckController < ActionController::Base
  include Passgate::Rails::Controller

  def create
    outcome = verify_captcha(action: "check")
    render json: { code: outcome.code }, status: outcome.http_status
  end
end
