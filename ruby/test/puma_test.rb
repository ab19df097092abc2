# frozen_string_literal: true

require "socket"
require "tmpdir"
require "timeout"
require_relative "test_helper"

# Puma in cluster mode with preload_app!: the master validates, forks two
# workers, and requests to both workers validate.
class PumaClusterTest < Minitest::Test
  EMULATOR = Emulator.new
  APP = File.join(__dir__, "puma_app")
  LOG_PATH = File.join(Dir.tmpdir, "passgate-puma-#{Process.pid}.log")

  def free_port
    server = TCPServer.new("127.0.0.1", 0)
    server.addr[1]
  ensure
    server&.close
  end

  def wait_for(port)
    Timeout.timeout(30) do
      loop do
        TCPSocket.new("127.0.0.1", port).close
        return true
      rescue Errno::ECONNREFUSED
        sleep 0.05 # polling a port that is not open yet
      end
    end
  rescue Timeout::Error
    false
  end

  def test_both_workers_validate
    port = free_port
    env = { "CAPTCHALA_APP_KEY" => APP_KEY, "CAPTCHALA_APP_SECRET" => APP_SECRET, "PASSGATE_API_BASE" => EMULATOR.url,
            "PASSGATE_ENVIRONMENT" => "test", "PUMA_PORT" => port.to_s, "RUBYLIB" => File.dirname($LOADED_FEATURES.grep(%r{/passgate\.rb\z}).first) }
    puma = Process.spawn(env, "puma", "-C", File.join(APP, "puma.rb"), File.join(APP, "config.ru"),
                         chdir: APP, out: File::NULL, err: LOG_PATH, pgroup: true)
    begin
      wait_for(port) || flunk("puma did not start: #{File.read(LOG_PATH)}")
      pids = {}
      counter = 0
      10.times do
        threads = 2.times.map do
          counter += 1
          token = "pt_puma_#{counter}"
          EMULATOR.script(token, delay_ms: 300)
          Thread.new do
            response = Net::HTTP.post_form(URI("http://127.0.0.1:#{port}/login"), "captchala_token" => token)
            JSON.parse(response.body)
          end
        end
        threads.map(&:value).each do |body|
          assert_equal "passed", body["code"]
          pids[body["pid"]] = true
        end
        break if pids.size == 2
      end
      assert_equal 2, pids.size, "only worker(s) #{pids.keys} answered"
      refute_includes pids.keys, puma
      # The master validated once before forking; every request once.
      assert_equal 1 + counter, EMULATOR.stats["validate_calls"]
    ensure
      Process.kill("TERM", -puma)
      Process.wait(puma)
    end
  end
end
