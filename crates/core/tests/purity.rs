//! The core stays pure: its only dependencies are data crates (no I/O, async, JS or SQL).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

#[test]
fn core_depends_only_on_data_crates() {
    let manifest = include_str!("../Cargo.toml");
    let mut section = "";
    let mut deps = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            section = line;
            continue;
        }
        if section == "[dependencies]" && !line.is_empty() && !line.starts_with('#') {
            deps.push(
                line.split(['=', '.'])
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            );
        }
    }
    let allowed = ["serde", "serde_json", "thiserror"];
    for d in &deps {
        assert!(
            allowed.contains(&d.as_str()),
            "core must not depend on `{d}`"
        );
    }
    assert!(!deps.is_empty());
}
