# frozen_string_literal: true

module Passgate
  VERSION = "0.1.0"
end
