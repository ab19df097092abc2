# frozen_string_literal: true

module Passgate
  # The result of one validation: a reader per name in Outcome::FIELDS (the
  # core's field list), plus ok? and retryable?.
  class Outcome
    FIELDS.each do |name|
      define_method(name) { field(name) }
    end

    def ok? = field("ok")
    def retryable? = field("retryable")

    # Every field as a Hash with String keys.
    def to_h = FIELDS.to_h { |name| [name, field(name)] }
  end
end
