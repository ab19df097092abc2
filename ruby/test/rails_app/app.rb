# frozen_string_literal: true

# A small Rails 6.1 app protected by Passgate::Rails, for the integration tests.

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
  include Passgate::Rails::Controller

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
