# frozen_string_literal: true

require "rack/test"
require "rack/builder"
require "action_dispatch"
require "sinatra/base"
require_relative "test_helper"

# Passgate::Rack in front of real routers: every spelling of a protected
# path that the router sends to the protected action is verified, whatever
# the middleware sees in PATH_INFO.
class RackPathsTest < Minitest::Test
  # Spellings of /login that some router (or the server in front of it)
  # may dispatch to the login action.
  VARIANTS = ["/login", "/login/", "//login", "///login", "/login//", "/l%6Fgin", "/l%6fgin", "/%6C%6F%67%69%6E",
              "/login.json", "/login.html", "/login.json/", "/login%2F", "/%2Flogin", "/login;jsessionid=x",
              "/./login", "/x/../login", "/x/%2e%2e/login", "/\\login", "/%5Clogin"].freeze
  # Routes of their own, never protected.
  UNPROTECTED = ["/loginx", "/other", "/login-help", "/x/login"].freeze
  REACHED = []

  def self.endpoint(name)
    lambda do |_env|
      REACHED << name
      [200, { "content-type" => "text/plain" }, [name]]
    end
  end

  # Rails routing: `post "/login"` is /login(.:format); the router squeezes
  # slashes and drops a trailing one.
  RAILS_ROUTES = ActionDispatch::Routing::RouteSet.new.tap do |routes|
    routes.draw do
      post "/login", to: RackPathsTest.endpoint("login")
      post "/signup", to: RackPathsTest.endpoint("signup")
      post "/account/:id", to: RackPathsTest.endpoint("account")
      UNPROTECTED.each { |path| post path, to: RackPathsTest.endpoint(path) }
    end
  end

  # Sinatra: Mustermann matches %XX spellings; rack-protection (on by
  # default) resolves dot segments, backslashes and repeated slashes.
  class SinatraApp < Sinatra::Base
    set :strict_paths, false # "/login/" too, as many apps configure it
    (["/login"] + UNPROTECTED).each do |path|
      name = path == "/login" ? "login" : path
      post(path) do
        REACHED << name
        name
      end
    end
  end

  def setup
    REACHED.clear
  end

  def protect(router, paths = { "/login" => "login" })
    verifier = Passgate::Verifier.new(app_key: APP_KEY, app_secret: APP_SECRET, environment: "test", mode: "test")
    Rack::Test::Session.new(Rack::Builder.new do
      use Passgate::Rack, verifier: verifier, paths: paths
      run router
    end)
  end

  # POST with PATH_INFO exactly as given (rack-test would parse "//login" as
  # a host name); returns the status and the names of the routes that ran.
  def post_raw(session, path, params = {})
    REACHED.clear
    session.post("/", params, "PATH_INFO" => path, "HTTP_ACCEPT" => "application/json")
    [session.last_response.status, REACHED.dup]
  end

  def routed_to_login(router)
    bare = Rack::Test::Session.new(router)
    VARIANTS.select { |path| post_raw(bare, path) == [200, ["login"]] }
  end

  def assert_login_always_verified(router, known_bypasses)
    routed = routed_to_login(router)
    # The router really takes these spellings, so the test below means something.
    assert_empty known_bypasses - routed, "router no longer routes these to /login"
    session = protect(router)
    routed.each do |path|
      assert_equal [400, []], post_raw(session, path), "#{path} reached the app unverified"
      assert_equal "missing_token", JSON.parse(session.last_response.body)["error"], path
    end
    UNPROTECTED.each { |path| assert_equal [200, [path]], post_raw(session, path), path }
    # A good token still gets through on any spelling.
    assert_equal [200, ["login"]], post_raw(session, routed.last, captchala_token: "pt_test_passed")
  end

  def test_every_sinatra_route_to_login_is_verified
    assert_login_always_verified(SinatraApp, ["/login/", "//login", "/l%6Fgin", "/./login", "/x/../login", "/\\login"])
  end

  def test_every_rails_route_to_login_is_verified
    assert_login_always_verified(RAILS_ROUTES, ["/login/", "//login", "/login.json", "/login.json/"])
  end

  def test_regexp_paths_see_the_normalised_path_and_configured_paths_are_normalised
    session = protect(RAILS_ROUTES, { %r{\A/account/\d+\z} => nil, "/signup/" => "signup" })
    ["/account/12", "/account/12.json", "//account/12/", "/account/%31%32"].each do |path|
      assert_equal [400, []], post_raw(session, path), path
    end
    assert_equal [400, []], post_raw(session, "/signup"), "a configured /signup/ protects /signup"
    assert_equal [200, ["account"]], post_raw(session, "/account/me")
  end

  def test_normalize_path
    {
      "" => "/", "/" => "/", "/login" => "/login", "/a//b/" => "/a/b", "/a/./b/../c" => "/a/c", "/../../a" => "/a",
      "/a%2Fb" => "/a/b", "/a;x=1/b;y" => "/a/b", "/v1.2/login.json" => "/v1.2/login", "/caf%C3%A9" => "/café",
      "/bad%zz" => "/bad%zz", "/a%FF" => "/a\uFFFD"
    }.each { |raw, normalised| assert_equal normalised, Passgate::Rack.normalize_path(raw), raw }
  end
end
