# frozen_string_literal: true

require_relative "test_helper"

# validate releases the GVL; fork()ed children validate.
class GvlTest < Minitest::Test
  EMULATOR = Emulator.new

  def test_other_threads_run_while_validate_waits
    EMULATOR.script("pt_rb_gvl_slow", delay_ms: 400)
    verifier = Passgate::Verifier.new(**EMULATOR.options)
    ticks = []
    running = true
    ticker = Thread.new do
      while running
        ticks << Process.clock_gettime(Process::CLOCK_MONOTONIC)
        1000.times { nil } # Ruby work that needs the GVL
      end
    end
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    outcome = verifier.validate("pt_rb_gvl_slow")
    finished = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    running = false
    ticker.join
    assert_equal "passed", outcome.code
    assert_operator finished - started, :>=, 0.4
    during = ticks.select { |t| t.between?(started, finished) }
    gaps = during.each_cons(2).map { |a, b| b - a }
    # Holding the GVL for the whole call would leave no ticks at all.
    assert_operator during.size, :>, 100
    assert_operator gaps.max, :<, 0.2
  end

  def test_validate_after_fork
    verifier = Passgate::Verifier.new(**EMULATOR.options)
    before = EMULATOR.stats["validate_calls"]
    assert verifier.validate("pt_rb_fork_parent").ok?
    pid = fork do
      Process.setrlimit(:CPU, 20)
      Thread.new { sleep 20; exit!(3) } # a hang ends the child
      exit!(verifier.validate("pt_rb_fork_child").ok? ? 0 : 1)
    end
    _, status = Process.wait2(pid)
    assert_equal 0, status.exitstatus, status.inspect
    assert verifier.validate("pt_rb_fork_parent_after").ok?
    assert_equal before + 3, EMULATOR.stats["validate_calls"]
  end
end
