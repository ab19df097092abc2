# Ruby rows of `make bench`: passgate, the plain patterns (one Net::HTTP
# connection kept open, Net::HTTP per call) and the recaptcha gem.
# Prints one JSON line per row: {row, calls, seconds: [...], cpu_s: [...], connections}.
#
# Usage: ruby ruby_bench.rb CONFIG_JSON GROUP   (GROUP: passgate | plain | peers)
require "json"
require "net/http"
require "openssl"
require "uri"

CONFIG = JSON.parse(ARGV[0])
GROUP = ARGV[1]
BASE, CA, SECRET = CONFIG.values_at("base", "ca", "secret")
CALLS, ROUNDS = CONFIG.values_at("calls", "rounds")
URL = URI("#{BASE}/recaptcha/api/siteverify")

def cpu_seconds = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)

def accepts
  Net::HTTP.get(URI(CONFIG["status_url"])).lines[2].split.first.to_i
end

def token(row, round, i)
  # Unique per call: the replay guard must not short-cut anything.
  format("bench-%s-%d-%08d-0123456789abcdefghijklmnopqrstuvwxyz", row.tr(" ", "-"), round, i)
end

# `work.call(token, state)` `calls` times over `in_flight` threads, ROUNDS
# times. The threads live for every round, as a server's worker threads do;
# `setup` makes each thread's own state (a connection).
def timed(name, in_flight, calls: CALLS, setup: -> {}, &work)
  per_thread = calls / in_flight
  starts = Array.new(in_flight) { Queue.new }
  done = Queue.new
  failures = Queue.new
  threads = Array.new(in_flight) do |t|
    Thread.new do
      state = setup.call
      ROUNDS.times do |round|
        starts[t].pop
        per_thread.times do |i|
          failures << i unless work.call(token(name, round, t * per_thread + i), state)
        end
        done << t
      end
    end
  end
  seconds = []
  cpu = []
  before = accepts
  ROUNDS.times do
    cpu_before = cpu_seconds
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    starts.each { |queue| queue << :go }
    in_flight.times { done.pop }
    seconds << Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    cpu << cpu_seconds - cpu_before
  end
  threads.each(&:join)
  abort "#{name}: #{failures.size} validations did not pass" unless failures.empty?
  connections = accepts - before - 1
  puts JSON.generate(row: name, calls: per_thread * in_flight, seconds: seconds, cpu_s: cpu, connections: connections)
  $stdout.flush
end

def passgate_rows
  require "passgate"
  verifier = Passgate::Verifier.new(provider: "recaptcha", secret_key: SECRET, api_base: BASE, ca_file: CA,
                                    environment: "production")
  work = ->(tok, _) { verifier.validate(tok, client_ip: "127.0.0.1").ok? }
  work.call(token("warm-up", 0, 0), nil)
  CONFIG["in_flight"].each { |n| timed("ruby passgate #{n}", n, &work) }
end

def form(tok) = URI.encode_www_form(secret: SECRET, response: tok, remoteip: "127.0.0.1")

def plain_rows
  persistent = lambda do
    http = Net::HTTP.new(URL.host, URL.port)
    http.use_ssl = true
    http.ca_file = CA
    http.keep_alive_timeout = 300
    http.start
  end
  kept = lambda do |tok, http|
    answer = http.post(URL.path, form(tok), "Content-Type" => "application/x-www-form-urlencoded")
    JSON.parse(answer.body)["success"] == true
  end
  per_call = lambda do |tok, _|
    answer = Net::HTTP.start(URL.host, URL.port, use_ssl: true, ca_file: CA) do |http|
      http.post(URL.path, form(tok), "Content-Type" => "application/x-www-form-urlencoded")
    end
    JSON.parse(answer.body)["success"] == true
  end
  timed("ruby Net::HTTP kept open 1", 1, setup: persistent, &kept)
  timed("ruby Net::HTTP per call 1", 1, calls: [CALLS / 10, 50].max, &per_call)
end

# The recaptcha gem turns TLS on only for port 443; the bench's nginx serves
# there too when it could bind it.
def peer_rows
  base = CONFIG["base_443"] or return warn("ruby peer recaptcha: port 443 not available, left out")
  require "recaptcha"
  Recaptcha.configure do |c|
    c.secret_key = SECRET
    c.verify_url = "#{base}/recaptcha/api/siteverify"
  end
  bench = Class.new do
    include Recaptcha::Verify
    def request = nil
    def env = nil
    def params = {}
  end.new
  work = ->(tok, _) { bench.verify_recaptcha(response: tok, skip_remote_ip: true, env: "bench", timeout: 5) }
  timed("ruby peer recaptcha gem 1", 1, calls: [CALLS / 10, 50].max, &work)
end

{ "passgate" => :passgate_rows, "plain" => :plain_rows, "peers" => :peer_rows }.fetch(GROUP).then { send(_1) }
