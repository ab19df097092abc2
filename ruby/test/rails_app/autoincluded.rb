# frozen_string_literal: true

# Controllers that use require_captcha without `include
# Passgate::Rails::Controller`: the Railtie includes it into
# ActionController::Base and ::API. Loaded after Rails.application.initialize!,
# as Rails loads an app's controllers (the ones in app.rb include the concern
# by hand, so both ways stay covered).

# Every method reaches the action; require_captcha decides which are verified.
class GuardedController < ActionController::Base
  require_captcha action: "guard"

  def show
    PassgateTestApp::RAN << request.request_method
    render json: { verified: !passgate_outcome.nil? }
  end
end

class ApiGuardedController < ActionController::API
  require_captcha action: "guard"

  def create
    PassgateTestApp::RAN << :api
    render json: { code: passgate_outcome.code }
  end
end
