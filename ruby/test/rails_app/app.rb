# frozen_string_literal: true

# A small Rails 6.1 app protected by Passgate::Rails, for the integration tests.
# Also read from config/: initializers/content_security_policy.rb (the CSP with
# a nonce and the widget's sources) and locales/*.yml (a passgate.<code>
# translation); views under app/views.

require "logger"
require "stringio"
require "rails"
require "action_controller/railtie"
require "action_view/railtie"
require "active_model"
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
    # pt-BR is not one of the core's languages; fr is, with no app translation.
    config.i18n.available_locales = %i[en pt-BR fr]
    config.i18n.default_locale = :en
  end

  # The request's locale from a `locale` parameter, as apps commonly do.
  module Localized
    extend ActiveSupport::Concern

    included do
      around_action { |_controller, action| I18n.with_locale(params[:locale] || I18n.default_locale, &action) }
    end
  end
end

class SessionsController < ActionController::Base
  include PassgateTestApp::Localized
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
    verify_captcha(action: "check")
    render json: { code: passgate_outcome.code }, status: passgate_outcome.http_status
  end
end

# `if verify_captcha(...)` as Rails users write it, with the message on a model.
class Comment
  include ActiveModel::Model
  attr_accessor :body
end

class CommentsController < ActionController::Base
  include PassgateTestApp::Localized
  include Passgate::Rails::Controller

  # The widget through passgate_tags, under the CSP of
  # config/initializers/content_security_policy.rb.
  def new
    render :new
  end

  def create
    comment = Comment.new(body: params[:body])
    passed = verify_captcha(action: "comment", model: comment)
    if passed
      PassgateTestApp::RAN << :comment
      render json: { passed: passed, saved: true }
    else
      render json: { passed: passed, errors: comment.errors.full_messages, body: comment.body },
             status: passgate_outcome.http_status
    end
  end
end

# require_captcha without render: a failure gets the short error page.
class ReportsController < ActionController::Base
  include PassgateTestApp::Localized
  include Passgate::Rails::Controller
  require_captcha action: "report", only: :create

  def create
    PassgateTestApp::RAN << :report
    head :no_content
  end
end
