# frozen_string_literal: true

# A comment form protected by passgate, in Rails (one file): the widget
# through passgate_tags with content_security_policy_nonce, Rails' own
# content_security_policy (a nonce, no 'unsafe-inline') with the widget's
# sources added by Passgate::Rails.content_security_policy, and the form
# re-rendered with what the user typed when verify_captcha says no.
# Configured from the environment (PASSGATE_*); run with
# `PORT=8000 ruby comments_rails.rb`. The browser suite (tests/browser)
# walks through it.

require "logger"
require "securerandom"
require "rails"
require "action_controller/railtie"
require "action_view/railtie"
require "active_model"
require "rack/handler/puma"
require "passgate"

ACTION = ENV.fetch("COMMENT_ACTION", "comment").then { |a| a.empty? ? nil : a }

class CommentsApp < Rails::Application
  config.root = __dir__
  config.eager_load = false
  config.hosts.clear
  config.secret_key_base = SecureRandom.hex(32)
  config.logger = Logger.new($stdout, level: :warn)
  config.active_support.deprecation = :silence
  config.content_security_policy_nonce_generator = ->(_request) { SecureRandom.base64(16) }
  config.content_security_policy_nonce_directives = %w[script-src]
  config.content_security_policy do |policy|
    policy.default_src :self
    policy.script_src :self
    policy.object_src :none
    policy.base_uri :none
    Passgate::Rails.content_security_policy(policy)
  end
  routes.append do
    root "comments#new"
    post "/", to: "comments#create"
  end
end

class Comment
  include ActiveModel::Model
  attr_accessor :name, :comment
end

class CommentsController < ActionController::Base
  include Passgate::Rails::Controller

  PAGE = <<~ERB
    <!doctype html>
    <html lang="en"><head><meta charset="utf-8"><title>Comments (Rails)</title></head>
    <body><h1>Leave a comment</h1>
    <% if outcome %><p id="error" role="alert" data-code="<%= outcome.code %>"><%= comment.errors[:base].first %></p><% end %>
    <form method="post" action="/">
    <p><label>Name <input name="name" value="<%= comment.name %>"></label></p>
    <p><label>Comment <textarea name="comment"><%= comment.comment %></textarea></label></p>
    <%= passgate_tags(action: ACTION) %>
    <p><button type="submit">Post</button></p>
    </form></body></html>
  ERB

  def new
    render inline: PAGE, locals: { outcome: nil, comment: Comment.new }
  end

  def create
    comment = Comment.new(name: params[:name], comment: params[:comment])
    if verify_captcha(action: ACTION, model: comment)
      render html: "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Saved</title></head><body>" \
                   "<h1 id=\"saved\">Thanks, #{ERB::Util.h(comment.name)}</h1><p>Your comment was posted.</p></body></html>".html_safe
    else
      render inline: PAGE, locals: { outcome: passgate_outcome, comment: comment }, status: passgate_outcome.http_status
    end
  end
end

CommentsApp.initialize!
Rack::Handler::Puma.run(CommentsApp, Host: "127.0.0.1", Port: Integer(ENV.fetch("PORT", "8000")), Threads: "0:4",
                                     Silent: true)
