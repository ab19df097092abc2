# frozen_string_literal: true

require "open3"
require "rbconfig"
require "timeout"
require_relative "test_helper"

# Timeout, Thread#raise, Thread#kill and Ctrl-C while validate waits without
# the GVL: they stop the wait at once (not after the upstream answers), raise
# as ordinary Ruby exceptions, and many of them in a row neither crash the
# process nor leak memory.
class InterruptTest < Minitest::Test
  EMULATOR = Emulator.new
  SLOW_MS = 3000 # the upstream's answer time for the "slow" tokens
  PROMPT = 1.0   # seconds an interrupt may take to land; well under SLOW_MS

  def verifier
    @verifier ||= Passgate::Verifier.new(**EMULATOR.options(timeout_ms: SLOW_MS + 2000))
  end

  def now = Process.clock_gettime(Process::CLOCK_MONOTONIC)

  # Returns once the emulator has received a validate call it had not seen
  # before `before`: the waiting thread is then inside the native call.
  def wait_for_call(before)
    Thread.pass until EMULATOR.stats["validate_calls"] > before
  end

  def test_timeout_stops_the_wait_for_a_slow_upstream
    EMULATOR.script("pt_rb_intr_timeout", delay_ms: SLOW_MS)
    started = now
    assert_raises(Timeout::Error) { Timeout.timeout(0.2) { verifier.validate("pt_rb_intr_timeout") } }
    assert_operator now - started, :<, PROMPT
    assert_equal "passed", verifier.validate("pt_rb_intr_after_timeout").code
  end

  def test_thread_raise_reaches_a_thread_waiting_on_upstream
    EMULATOR.script("pt_rb_intr_raise", delay_ms: SLOW_MS)
    before = EMULATOR.stats["validate_calls"]
    cleaned_up = false
    worker = Thread.new do
      Thread.current.report_on_exception = false
      verifier.validate("pt_rb_intr_raise")
    ensure
      cleaned_up = true
    end
    wait_for_call(before)
    raised = now
    worker.raise(ArgumentError, "stop waiting")
    error = assert_raises(ArgumentError) { worker.join }
    assert_equal "stop waiting", error.message
    assert_operator now - raised, :<, PROMPT
    assert cleaned_up
    assert_equal "passed", verifier.validate("pt_rb_intr_after_raise").code
  end

  def test_thread_kill_does_not_wait_for_upstream
    EMULATOR.script("pt_rb_intr_kill", delay_ms: SLOW_MS)
    before = EMULATOR.stats["validate_calls"]
    cleaned_up = false
    worker = Thread.new do
      verifier.validate("pt_rb_intr_kill")
    ensure
      cleaned_up = true
    end
    wait_for_call(before)
    killed = now
    worker.kill
    assert_same worker, worker.join(SLOW_MS / 1000.0 * 2)
    assert_operator now - killed, :<, PROMPT
    assert_equal false, worker.status # ended normally by the kill, not by an exception
    assert cleaned_up
  end

  # An interrupt the thread defers is delivered after the answer, and the
  # deferred wait does not spin (it would burn the whole wait in CPU).
  def test_deferred_interrupt_waits_for_the_answer_without_spinning
    EMULATOR.script("pt_rb_intr_deferred", delay_ms: 300)
    before = EMULATOR.stats["validate_calls"]
    code = nil
    worker = Thread.new do
      Thread.current.report_on_exception = false
      Thread.handle_interrupt(ArgumentError => :never) { code = verifier.validate("pt_rb_intr_deferred").code }
    end
    wait_for_call(before)
    cpu = Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID)
    worker.raise(ArgumentError, "later")
    assert_raises(ArgumentError) { worker.join }
    assert_equal "passed", code
    assert_operator Process.clock_gettime(Process::CLOCK_PROCESS_CPUTIME_ID) - cpu, :<, 0.15
  end

  CTRL_C_CHILD = <<~RUBY
    require "json"
    require "passgate"
    verifier = Passgate::Verifier.new(**JSON.parse(ARGV[0], symbolize_names: true))
    begin
      verifier.validate("pt_rb_intr_sigint")
      puts "finished"
    rescue Interrupt
      puts "interrupted"
    end
  RUBY

  def test_ctrl_c_interrupts_validate
    EMULATOR.script("pt_rb_intr_sigint", delay_ms: SLOW_MS)
    before = EMULATOR.stats["validate_calls"]
    options = JSON.generate(EMULATOR.options(timeout_ms: SLOW_MS + 2000))
    Open3.popen2(RbConfig.ruby, "-e", CTRL_C_CHILD, options) do |_stdin, stdout, thread|
      wait_for_call(before)
      signalled = now
      Process.kill("INT", thread.pid)
      assert_equal "interrupted", stdout.read.strip
      assert thread.value.success?
      assert_operator now - signalled, :<, PROMPT
    end
  end

  # Many interrupts landing before, during and after the native wait. Run in
  # a child so that a crash fails this test instead of ending the run.
  STRESS_CHILD = <<~RUBY
    require "json"
    require "timeout"
    require "passgate"
    verifier = Passgate::Verifier.new(**JSON.parse(ARGV[0], symbolize_names: true))
    Stop = Class.new(StandardError)
    rss_kb = -> { File.read("/proc/self/status")[/^VmRSS:\\s+(\\d+)/, 1].to_i }
    # Even turns: a fresh token (a full upstream call, ~0.3 ms here), so the
    # 0.5 ms timeout lands anywhere around the call. Odd turns: a token the
    # emulator answers after 2 ms, so the timeout lands inside the wait.
    token = ->(i) { i.even? ? "pt_rb_stress_\#{i}" : "pt_rb_stress_slow" }
    call = ->(i) { verifier.validate(token.(i), keep_token: i.odd?) }
    interrupted = 0
    timeouts = lambda do |range|
      range.each do |i|
        Timeout.timeout(0.0005) { call.(i) }
      rescue Timeout::Error
        interrupted += 1
      end
    end
    raises = lambda do |range|
      range.each do |i|
        worker = Thread.new { call.(i) }
        Thread.pass
        worker.raise(Stop)
        begin
          worker.join
        rescue Stop
          interrupted += 1
        end
      end
    end
    kills = ->(range) { range.each { |i| Thread.new { call.(i) }.tap { Thread.pass }.kill.join } }
    Thread.report_on_exception = false
    # Warm-up: runtime, connection pool, Ruby's thread and object caches.
    timeouts.(0...1000)
    GC.start
    before = rss_kb.()
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    timeouts.(1000...11_000)
    GC.start
    after = rss_kb.()
    seconds = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
    # Raises and kills come faster than the emulator answers, so abandoned
    # calls pile up in the background for a moment (each finishes on its
    # own): these check for crashes only, not memory.
    raises.(11_000...13_000)
    kills.(13_000...14_000)
    puts JSON.generate(rss_before_kb: before, rss_after_kb: after, seconds: seconds, interrupted: interrupted,
                       still_works: verifier.validate("pt_rb_stress_final").code)
  RUBY

  # Growth allowed over the 10,000 timeouts: 10 MiB. Half of them land
  # inside the wait, so leaking one core Outcome or waiting future (about
  # 1 KiB, plus malloc overhead) per interrupt would reach it, and a leaked
  # Ruby thread costs over 1 MiB of stacks; a healthy run grows by under
  # 1 MiB here.
  RSS_GROWTH_LIMIT_KB = 10 * 1024

  def test_thousands_of_interrupts_neither_crash_nor_leak
    EMULATOR.script("pt_rb_stress_slow", delay_ms: 2)
    options = JSON.generate(EMULATOR.options)
    out, err, status = Open3.capture3(RbConfig.ruby, "-e", STRESS_CHILD, options)
    assert status.success?, "child ended with #{status.inspect}: #{err[-2000..] || err}"
    result = JSON.parse(out.lines.last)
    growth = result["rss_after_kb"] - result["rss_before_kb"]
    puts "\n  10,000 timeouts in #{result["seconds"].round(1)} s; VmRSS #{result["rss_before_kb"]} -> " \
         "#{result["rss_after_kb"]} kB (#{growth} kB); #{result["interrupted"]} interrupts in all"
    assert_operator result["interrupted"], :>, 5000, "too few interrupts landed to test anything"
    assert_operator growth, :<, RSS_GROWTH_LIMIT_KB
    assert_equal "passed", result["still_works"]
  end
end
