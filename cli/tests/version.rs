//! One version number for every package: the workspace's. The npm package,
//! the gem, the PIE package and the CHANGELOG repeat it and must agree.

fn read(path: &str) -> String {
    let full = format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

#[test]
fn every_package_has_the_workspace_version() {
    let version = env!("CARGO_PKG_VERSION");
    let package: serde_json::Value =
        serde_json::from_str(&read("node/package.json")).expect("package.json");
    assert_eq!(package["version"], version, "node/package.json");
    let composer: serde_json::Value =
        serde_json::from_str(&read("php-ext/composer.json")).expect("composer.json");
    assert_eq!(composer["version"], version, "php-ext/composer.json");
    assert!(
        read("ruby/lib/passgate/version.rb").contains(&format!("VERSION = \"{version}\"")),
        "ruby/lib/passgate/version.rb"
    );
    assert!(
        read("CHANGELOG.md").contains(&format!("\n## {version} ")),
        "CHANGELOG.md has no entry for {version}"
    );
    let script = std::process::Command::new("sh")
        .arg(format!("{}/../tools/version", env!("CARGO_MANIFEST_DIR")))
        .output()
        .expect("tools/version");
    assert_eq!(String::from_utf8_lossy(&script.stdout).trim(), version);
}
