# frozen_string_literal: true

require "json"
require "net/http"
require "socket"
require "minitest/autorun"
require "passgate"

REPO = File.expand_path("../..", __dir__)
CASES = File.join(REPO, "conformance", "cases.json")
APP_KEY = "test-app-key"
APP_SECRET = "test-app-secret"

def passgate_bin
  ENV.fetch("PASSGATE_BIN") { File.join(REPO, "target", "debug", "passgate") }
end

# A redis:// URL on a loopback port where nothing listens (bound, then
# closed), so every replay-store call fails to connect.
def dead_redis_url
  server = TCPServer.new("127.0.0.1", 0)
  port = server.addr[1]
  server.close
  "redis://127.0.0.1:#{port}"
end

# `passgate mock` as a child process; stopped at exit.
class Emulator
  attr_reader :url

  def initialize(*args)
    @io = IO.popen([passgate_bin, "mock", "--exit-with-stdin", *args], "r+", err: File::NULL)
    @url = @io.gets.to_s.strip
    raise "passgate mock did not start" unless @url.start_with?("http")

    Minitest.after_run { stop }
  end

  def script(token, **behaviour)
    post("/__mock/script", { token: token, **behaviour })
  end

  def stats
    JSON.parse(Net::HTTP.get(URI("#{@url}/__mock/stats")))
  end

  def options(**overrides)
    { app_key: APP_KEY, app_secret: APP_SECRET, environment: "test", api_base: @url, backup_api_base: @url,
      timeout_ms: 2000 }.merge(overrides)
  end

  def stop
    return if @io.closed?

    Process.kill("KILL", @io.pid)
    @io.close
  rescue Errno::ESRCH
    nil
  end

  private

  def post(path, body)
    uri = URI("#{@url}#{path}")
    response = Net::HTTP.post(uri, JSON.generate(body), "content-type" => "application/json")
    JSON.parse(response.body)
  end
end
