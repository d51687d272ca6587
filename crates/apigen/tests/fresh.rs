//! The committed table is what the generator makes from the pinned typings and the overlay.

use std::path::PathBuf;

use miniperm_apigen::{
    GENERATED_MD, GENERATED_RS, OVERLAY, Sources, TYPINGS_DIR, generate, workspace_root,
};

const REGENERATE: &str =
    "(cd tools/typings && npm ci --no-audit --no-fund) && cargo run -p miniperm-apigen";

/// The typings' sources, or `None` (with a note) when they are not installed outside CI.
fn sources() -> Option<Sources> {
    let root = workspace_root();
    let typings: PathBuf = root.join(TYPINGS_DIR);
    if !typings.join("package.json").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "the typings are not installed at {TYPINGS_DIR}; CI must run `(cd tools/typings && npm ci)` first"
        );
        eprintln!(
            "note: skipping: the typings are not installed at {TYPINGS_DIR}; run `(cd tools/typings && npm ci)`"
        );
        return None;
    }
    match Sources::read(&typings, &root.join(OVERLAY)) {
        Ok(s) => Some(s),
        Err(e) => panic!("cannot read the typings: {e}"),
    }
}

/// A short account of where two texts differ: line counts and the first differing lines.
fn diff_summary(committed: &str, fresh: &str) -> String {
    let a: Vec<&str> = committed.lines().collect();
    let b: Vec<&str> = fresh.lines().collect();
    let mut out = format!("committed {} lines, generated {} lines\n", a.len(), b.len());
    let mut shown = 0;
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i), b.get(i));
        if x != y {
            out.push_str(&format!(
                "line {}:\n  - {}\n  + {}\n",
                i + 1,
                x.map_or("<none>", |s| &s[..s.len().min(160)]),
                y.map_or("<none>", |s| &s[..s.len().min(160)])
            ));
            shown += 1;
            if shown == 8 {
                out.push_str("  ...\n");
                break;
            }
        }
    }
    out
}

#[test]
fn the_committed_table_is_fresh() {
    let Some(src) = sources() else { return };
    let out = match generate(&src) {
        Ok(o) => o,
        Err(e) => panic!("generation failed: {e}"),
    };
    let root = workspace_root();
    for (path, fresh) in [(GENERATED_RS, &out.rust), (GENERATED_MD, &out.markdown)] {
        let committed = std::fs::read_to_string(root.join(path)).unwrap_or_default();
        assert!(
            committed == *fresh,
            "{path} is stale:\n{}\nregenerate with: {REGENERATE}",
            diff_summary(&committed, fresh)
        );
    }
}

#[test]
fn a_changed_overlay_or_typings_changes_the_output() {
    let Some(src) = sources() else { return };
    let base = generate(&src).unwrap();
    let mut overlay = src.clone();
    overlay.overlay.push_str("\nscanCode local\n");
    let changed = generate(&overlay).unwrap();
    assert_ne!(base.rust, changed.rust);
    assert!(diff_summary(&base.rust, &changed.rust).contains("scanCode"));

    let mut typings = src.clone();
    typings.api = typings
        .api
        .replacen("需要基础库： `2.32.3`", "需要基础库： `2.33.0`", 1);
    assert_ne!(typings.api, src.api, "the perturbation must hit something");
    assert_ne!(base.rust, generate(&typings).unwrap().rust);

    let mut version = src.clone();
    version.version = "0.0.0".into();
    assert_ne!(base.rust, generate(&version).unwrap().rust);
}

#[test]
fn the_overlay_names_only_real_apis() {
    let Some(mut src) = sources() else { return };
    src.overlay.push_str("\nnoSuchApi local\n");
    let e = generate(&src).unwrap_err();
    assert_eq!(
        e.to_string(),
        "overlay names `noSuchApi`, which the typings do not have"
    );
}

#[test]
fn the_table_knows_the_apis_miniperm_relies_on() {
    let Some(src) = sources() else { return };
    let out = generate(&src).unwrap();
    let get = |n: &str| out.apis.iter().find(|(a, _)| a.name == n);
    let (loc, h) = get("getLocation").unwrap();
    assert_eq!(loc.shape, miniperm_apigen::Shape::Callback);
    assert!(loc.promise);
    assert_eq!(*h, miniperm_apigen::Handling::Engine);
    assert!(
        loc.result_fields
            .iter()
            .any(|f| f.name == "latitude" && f.required)
    );
    let (privacy, _) = get("getPrivacySetting").unwrap();
    assert_eq!(privacy.since, Some((2, 32, 3)));
    assert_eq!(
        get("onAppShow").unwrap().0.shape,
        miniperm_apigen::Shape::Listener
    );
    assert_eq!(
        get("getRecorderManager").unwrap().0.shape,
        miniperm_apigen::Shape::Factory
    );
    assert_eq!(
        get("getStorageSync").unwrap().0.shape,
        miniperm_apigen::Shape::Sync
    );
    assert_eq!(
        get("cloud.callFunction").unwrap().1,
        miniperm_apigen::Handling::Mocked
    );
}
