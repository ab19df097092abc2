# frozen_string_literal: true

require "open3"
require_relative "test_helper"

# The Ruby demo prints the demo cases with the same codes as `passgate demo`.
class DemoTest < Minitest::Test
  def codes(output)
    output.lines.select { |line| line =~ /\A\S+\[\d+\]\s/ }.map { |line| line.split.first(3) }
  end

  def test_ruby_demo_matches_the_rust_demo
    ruby_out, ruby_status = Open3.capture2e(RbConfig.ruby, File.join(REPO, "ruby", "examples", "demo.rb"), passgate_bin)
    assert ruby_status.success?, ruby_out
    rust_out, rust_status = Open3.capture2e(passgate_bin, "demo")
    assert rust_status.success?, rust_out
    assert_operator codes(ruby_out).size, :>=, 10
    assert_equal codes(rust_out), codes(ruby_out)
  end
end
