# frozen_string_literal: true

# `make demo`, Ruby part: the demo cases of conformance/cases.json through the
# Ruby binding, printed like `passgate demo` prints them.

require "json"
require "passgate"

repo = File.expand_path("../..", __dir__)
cases = File.join(repo, "conformance", "cases.json")
bin = ARGV[0] || File.join(repo, "target", "debug", "passgate")
doc = JSON.parse(File.read(cases))
mock = IO.popen([bin, "mock", "--script", cases, "--exit-with-stdin"], "r+", err: File::NULL)
url = mock.gets.strip
puts "passgate demo (Ruby #{RUBY_VERSION}) — emulator at #{url}", ""
unexpected = 0
begin
  doc["cases"].select { |c| c["demo"] }.each do |test_case|
    options = doc["defaults"]["options"]
              .merge(doc["defaults"]["provider_options"][test_case["provider"] || "captchala"])
              .merge(test_case["options"] || {})
    options = options.transform_values { |v| v.is_a?(String) ? v.gsub("{emulator}", url) : v }
    verifier = Passgate::Verifier.new(**options.transform_keys(&:to_sym))
    test_case["calls"].each_with_index do |call, index|
      outcome = verifier.validate(call["token"], client_ip: call["client_ip"], action: call["action"], uid: call["uid"])
      mark = outcome.code == call["expect"]["code"] ? "" : "  << UNEXPECTED"
      unexpected += 1 unless mark.empty?
      puts format("%-42s %-21s %d  %s%s", "#{test_case["name"]}[#{index}]", outcome.code, outcome.http_status, outcome.message, mark)
      puts "    #{JSON.generate(outcome.log_fields)}"
    end
  end
ensure
  Process.kill("KILL", mock.pid)
  mock.close
end
exit(unexpected.zero? ? 0 : 1)
