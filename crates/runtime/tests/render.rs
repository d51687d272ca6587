//! D10 warning, the openSetting button's handler gesture, and the two transcript formats.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_runtime::{EndReason, Event, render_human};

#[test]
fn a_location_scope_without_permission_desc_warns_and_proceeds() {
    let o = go(&fixture("nodesc"), &["locate"], "allow");
    assert!(
        o.events.iter().any(|e| matches!(e,
        Event::Warning { code, .. } if code == "missing-permission-desc")),
        "{}",
        transcript(&o)
    );
    assert_eq!(logs(&o), vec!["getLocation:ok"]);
    // the prompt shows no purpose line
    assert!(
        transcript(&o).contains("ui  authorize scope.userLocation\n"),
        "{}",
        transcript(&o)
    );
}

#[test]
fn the_bindopensetting_handler_runs_in_a_gesture() {
    let o = go(
        &fixture("nodesc"),
        &["locate", "open-type=openSetting"],
        "allow,settings:scope.userLocation=off,settings",
    );
    assert_eq!(
        logs(&o),
        vec![
            "getLocation:ok",
            "back {\"scope.userLocation\":false}",
            "reopened from the button handler"
        ],
        "{}",
        transcript(&o)
    );
}

#[test]
fn human_and_json_forms() {
    let ev = Event::Callback {
        api: "authorize".into(),
        kind: "fail".into(),
        res: serde_json::json!({"errMsg": "authorize:fail auth deny", "errno": 103}),
        at: None,
        failure: Some(miniperm_core::Fail::AuthDeny),
    };
    assert_eq!(
        render_human(&ev, false),
        "  callback authorize fail {\"errMsg\":\"authorize:fail auth deny\",\"errno\":103}"
    );
    assert!(render_human(&ev, true).starts_with("\x1b[31m"));
    assert_eq!(
        serde_json::to_string(&ev).unwrap(),
        "{\"type\":\"callback\",\"api\":\"authorize\",\"kind\":\"fail\",\"res\":{\"errMsg\":\"authorize:fail auth deny\",\"errno\":103}}"
    );
    let end = Event::End {
        reason: EndReason::AwaitingAnswer,
        ui: Some("modal".into()),
    };
    assert_eq!(
        serde_json::to_string(&end).unwrap(),
        "{\"type\":\"end\",\"reason\":\"awaiting-answer\",\"ui\":\"modal\"}"
    );
    assert_eq!(render_human(&end, false), "■ end awaiting-answer (modal)");
    let back: Event = serde_json::from_str(&serde_json::to_string(&end).unwrap()).unwrap();
    assert_eq!(back, end);
}

/// With `lazy_render` (the explorer's), a page whose render draws only its tree renders when
/// something reads the tree: a tap on what its last `setData` showed finds it, the renderer's
/// warning about a state nothing read (`n == 1` names an unknown template) is all that
/// differs, and `--render` shows every change as before.
#[test]
fn a_plain_page_renders_when_its_tree_is_read() {
    let p = fixture("plain-render");
    let o = run_with(&p, &["#go"], "", |c| c.lazy_render = true);
    assert_eq!(logs(&o), ["went with n = 2"], "{}", transcript(&o));
    let eager = go(&p, &["#go"], "");
    let unknown = |e: &Event| matches!(e, Event::Warning { code, message, .. } if code == "render" && message.contains("nowhere"));
    assert!(eager.events.iter().any(unknown), "{}", transcript(&eager));
    assert!(!o.events.iter().any(unknown), "{}", transcript(&o));
    let eager_without: Vec<Event> = eager
        .events
        .iter()
        .filter(|e| !unknown(e))
        .cloned()
        .collect();
    assert_eq!(o.events, eager_without);
    let rendered = run_with(&p, &["#go"], "", |c| {
        c.render = true;
        c.lazy_render = true;
    });
    assert_eq!(logs(&rendered), ["went with n = 2"]);
    let without_renders: Vec<_> = rendered
        .events
        .iter()
        .filter(|e| !matches!(e, Event::Render { .. }))
        .cloned()
        .collect();
    // `--render` renders every change, lazy or not.
    assert_eq!(eager.events, without_renders);
    assert!(
        rendered
            .events
            .iter()
            .any(|e| matches!(e, Event::Render { tree, .. } if tree.to_string().contains("\"2\""))),
        "{}",
        transcript(&rendered)
    );
}

/// A page with a `<camera>` still renders as its data changes: the camera asks for its scope
/// when it first shows, before any tap.
#[test]
fn a_camera_page_renders_as_it_opens() {
    let p = fixture("plain-render");
    let o = run_with(&p, &[], "", |c| {
        c.page = Some("pages/cam/cam".into());
        c.lazy_render = true;
    });
    assert!(
        o.events
            .iter()
            .any(|e| matches!(e, Event::Ui { ui, .. } if ui == "authorize")),
        "{}",
        transcript(&o)
    );
}

/// Lazy or not, what the program meets is the same when pages change: a camera page shown again
/// after a plain page asks again, and a hidden page's `selectComponent` looks at the page on
/// top (a plain one: no component there).
#[test]
fn lazy_renders_leave_cameras_and_components_as_eager_ones_do() {
    let p = fixture("plain-render");
    for (page, taps, answers) in [
        ("pages/cam/cam", &["toPlain", "onBack"][..], "allow"),
        ("pages/comp/comp", &["go"][..], ""),
    ] {
        let with = |lazy: bool| {
            run_with(&p, taps, answers, |c| {
                c.page = Some(page.into());
                c.lazy_render = lazy;
            })
        };
        // All but the renderer's warning about the plain page's passing state (`n == 1`).
        let program = |o: &miniperm_runtime::RunOutcome| -> Vec<Event> {
            o.events
                .iter()
                .filter(|e| !matches!(e, Event::Warning { code, .. } if code == "render"))
                .cloned()
                .collect()
        };
        let (eager, lazy) = (with(false), with(true));
        assert_eq!(program(&lazy), program(&eager), "{}", transcript(&lazy));
    }
    let comp = run_with(&p, &["go"], "", |c| {
        c.page = Some("pages/comp/comp".into());
        c.lazy_render = true;
    });
    assert_eq!(logs(&comp), ["found false"], "{}", transcript(&comp));
    let cam = run_with(&p, &["toPlain", "onBack"], "allow", |c| {
        c.page = Some("pages/cam/cam".into());
        c.lazy_render = true;
    });
    let camera_calls = cam
        .events
        .iter()
        .filter(|e| matches!(e, Event::Call { api, .. } if api == "<camera>"))
        .count();
    assert_eq!(camera_calls, 2, "{}", transcript(&cam));
}
