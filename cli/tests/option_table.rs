//! The option table and the outcome field list live in the core; the table in
//! docs/configuration.md and every binding's type stubs must say the same, in
//! the same order.

use passgate_core::{camel_case, OptionKind, Options, OPTIONS, OUTCOME_FIELDS};

/// `(name, type)` of every option, the type spelled as a stub spells it:
/// `[text, integer, bool, number, list]`.
fn typed_options(types: [&str; 5]) -> Vec<(String, String)> {
    OPTIONS
        .iter()
        .map(|spec| {
            let ty = match spec.kind {
                OptionKind::Count => types[1],
                OptionKind::Flag => types[2],
                OptionKind::Number => types[3],
                OptionKind::List => types[4],
                _ => types[0],
            };
            (spec.name.to_string(), ty.to_string())
        })
        .collect()
}

fn read(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The text between `start` and the next `end` after it.
fn block<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}")) + start.len();
    let to = text[from..]
        .find(end)
        .unwrap_or_else(|| panic!("no {end:?} after {start:?}"));
    &text[from..from + to]
}

#[test]
fn the_widget_doc_csp_table_is_the_generated_one() {
    let doc = read("docs/widget.md");
    let table = block(&doc, "<!-- csp:begin -->\n", "<!-- csp:end -->");
    assert_eq!(
        table,
        passgate_core::csp_markdown_table(),
        "docs/widget.md CSP table is stale: paste `passgate csp`"
    );
}

#[test]
fn the_configuration_doc_table_is_the_generated_one() {
    let doc = read("docs/configuration.md");
    let table = block(&doc, "<!-- options:begin -->\n", "<!-- options:end -->");
    assert_eq!(
        table,
        Options::markdown_table(),
        "docs/configuration.md option table is stale: paste `passgate options --markdown`"
    );
}

#[test]
fn python_stub_types_every_option() {
    let stub = read("python/passgate/_native.pyi");
    let body = block(&stub, "class Options(TypedDict, total=False):", "\nclass ");
    let fields: Vec<(String, String)> = body
        .lines()
        .filter_map(|line| line.trim().split_once(": "))
        .map(|(name, ty)| (name.to_string(), ty.to_string()))
        .collect();
    assert_eq!(
        fields,
        typed_options(["str", "int", "bool", "float", "List[str]"])
    );
}

#[test]
fn typescript_declarations_type_every_option() {
    let dts = read("node/index.d.ts");
    let body = block(&dts, "export interface VerifierOptions {", "}");
    let fields: Vec<(String, String)> = body
        .lines()
        .filter_map(|line| line.trim().split_once("?: "))
        // The binding's own options: not in the core's table.
        .filter(|(name, _)| !["logger", "onOutcome"].contains(name))
        .map(|(name, ty)| (name.to_string(), ty.trim_end_matches(';').to_string()))
        .collect();
    assert_eq!(fields.len(), OPTIONS.len(), "{fields:?}");
    for ((name, ty), spec) in fields.iter().zip(OPTIONS) {
        assert_eq!(name, &camel_case(spec.name));
        let expected = match spec.kind {
            OptionKind::Count | OptionKind::Number => "number",
            OptionKind::Flag => "boolean",
            OptionKind::List => "string[]",
            // Text options may narrow to their allowed values.
            _ => continue,
        };
        assert_eq!(ty, expected, "{name}");
    }
}

#[test]
fn php_stub_types_every_option() {
    let stub = read("php-ext/passgate.stub.php");
    let shape = block(&stub, "@param array{provider?:", "logger?:");
    let shape = format!("provider?:{shape}");
    let fields: Vec<(String, String)> = shape
        .split(',')
        .map(|part| part.replace('*', " "))
        .filter_map(|part| {
            part.trim()
                .split_once("?: ")
                .map(|(n, t)| (n.trim().to_string(), t.trim().to_string()))
        })
        .collect();
    assert_eq!(
        fields,
        typed_options(["string", "int", "bool", "float", "list<string>"])
    );
}

#[test]
fn ruby_docs_list_every_option() {
    let verifier = read("ruby/lib/passgate/verifier.rb");
    let listed = block(
        &verifier,
        "Passgate::OPTION_NAMES (docs/configuration.md) —",
        "plus logger:",
    );
    let names: Vec<&str> = listed
        .split(|c: char| c.is_whitespace() || c == '#' || c == ',' || c == '—')
        .filter_map(|word| word.strip_suffix(':'))
        .collect();
    let expected: Vec<&str> = OPTIONS.iter().map(|spec| spec.name).collect();
    assert_eq!(names, expected);
}

#[test]
fn every_stub_lists_every_outcome_field() {
    let pyi = read("python/passgate/_native.pyi");
    let outcome = block(&pyi, "class Outcome:", "\nclass ");
    let python: Vec<&str> = outcome
        .lines()
        .filter_map(|l| l.trim().strip_prefix("def "))
        .filter_map(|l| l.split('(').next())
        .filter(|name| OUTCOME_FIELDS.contains(name))
        .collect();
    assert_eq!(python, OUTCOME_FIELDS, "_native.pyi Outcome");

    let dts = read("node/index.d.ts");
    let outcome = block(&dts, "export declare class Outcome {", "\n}");
    let node: Vec<String> = outcome
        .lines()
        .filter_map(|l| l.trim().strip_prefix("readonly "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_string)
        .collect();
    let camel: Vec<String> = OUTCOME_FIELDS.iter().map(|n| camel_case(n)).collect();
    assert_eq!(node, camel, "index.d.ts Outcome");

    let php = read("php-ext/passgate.stub.php");
    let outcome = block(&php, "The result of one validation.", "*/");
    let properties: Vec<String> = outcome
        .lines()
        .filter_map(|l| l.split('$').nth(1))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert_eq!(properties, camel, "passgate.stub.php Outcome");
}
