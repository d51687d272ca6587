//! Whole apps (issue 18): the shapes real open-source mini-programs take, each in a fixture
//! written for it (`fixtures/wholeapp`), and a project whose broken files fail only the pages
//! that need them (`fixtures/brokenapp`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;
use common::*;
use miniperm_runtime::{EndReason, Event, RunConfig, check_pages};

fn app() -> miniperm_runtime::Project {
    fixture("wholeapp")
}

fn page(route: &str, taps: &[&str]) -> miniperm_runtime::RunOutcome {
    run_with(&app(), taps, "", |c| c.page = Some(route.into()))
}

fn quiet(o: &miniperm_runtime::RunOutcome) -> String {
    // the transcript without `data` lines (setData payloads)
    transcript(o)
        .lines()
        .filter(|l| !l.trim_start().starts_with("data "))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_page_of_the_whole_app_loads_clean() {
    let p = app();
    assert!(p.problems().is_empty(), "{:?}", p.problems());
    let reports = check_pages(&p, &RunConfig::new(&p), 2, &|_| {});
    assert_eq!(reports.len(), 10, "app.json's pages and the subpackage's");
    for r in &reports {
        assert!(r.clean(), "{r:?}");
    }
}

#[test]
fn the_lifecycle_follows_wechats_order() {
    // created (a component's own template first, slot content after its host), its host's
    // values and observers, attached in tree order, then onLoad, the components' page show,
    // onShow, ready, onReady; on unload, onUnload then detached bottom-up.
    let o = page("pages/lifecycle/lifecycle", &["leave"]);
    insta::assert_snapshot!("lifecycle_order", quiet(&o));
}

#[test]
fn behaviors_run_once_and_relations_link_tabs_to_their_panes() {
    let o = page("pages/tabs/tabs", &["text=Pears"]);
    let l = logs(&o);
    let t = quiet(&o);
    assert!(!t.contains("error"), "a behavior's created ran twice: {t}");
    assert_eq!(
        l.iter().filter(|x| x.starts_with("tab linked")).count(),
        3,
        "{t}"
    );
    assert!(
        l.contains(&"tabs linked Plums children 3".to_string()),
        "{t}"
    );
    assert!(l.contains(&"tabs ready with 3 tabs".to_string()), "{t}");
    assert!(
        l.contains(&"page ready: tabs has 3 children".to_string()),
        "{t}"
    );
    assert!(l.contains(&"picked Pears".to_string()), "{t}");
    // the custom tab bar: one instance per tab page, reached with getTabBar
    assert!(l.contains(&"tab bar attached".to_string()), "{t}");
}

#[test]
fn wxs_modules_load_require_each_other_and_export_functions() {
    let o = run_with(&app(), &[], "", |c| {
        c.page = Some("pages/wxs/wxs".into());
        c.render = true;
    });
    let t = quiet(&o);
    assert_eq!(o.end, EndReason::Idle, "{t}");
    assert!(!t.contains("warning"), "{t}");
    // bem through require + constructor names, a function module, getRegExp, getDate,
    // `var class`, a module's non-function export
    assert!(
        t.contains("view.my-button.my-button--large.my-button--round [style=color:red]"),
        "{t}"
    );
    assert!(t.contains("\"1,234.50\""), "{t}");
    assert!(t.contains("\"2026\""), "{t}");
    assert!(t.contains("\"Array Number\""), "{t}");
    assert!(t.contains("text.price"), "{t}");
    assert!(t.contains("\"max 3px\""), "{t}");
}

#[test]
fn an_included_file_uses_its_includers_wxs_and_glued_attributes_parse() {
    let o = run_with(&app(), &[".row"], "", |c| {
        c.page = Some("pages/include/include".into());
        c.render = true;
    });
    let t = quiet(&o);
    assert!(t.contains("\"✓\""), "{t}");
    assert!(logs(&o).contains(&"toggled one false".to_string()), "{t}");
}

#[test]
fn a_page_whose_timers_never_stop_is_idle() {
    let o = page("pages/ticking/ticking", &["check", "check"]);
    assert_eq!(o.end, EndReason::Idle, "{}", quiet(&o));
    let left: Vec<String> = logs(&o)
        .into_iter()
        .filter(|l| l.starts_with("seconds left"))
        .collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // time moved on between the taps, and the countdown with it
    assert_ne!(left[0], left[1], "{left:?}");
}

#[test]
fn the_app_service_environment() {
    let o = page("pages/index/index", &[]);
    let l = logs(&o);
    let t = quiet(&o);
    // `global`, RegExp.$1 in a date format helper, getExtConfigSync, the capsule button
    assert!(l.contains(&"ext config {}".to_string()), "{t}");
    // the update manager: one a run, its check answered `hasUpdate: false` after onLaunch, no
    // update ever ready (so no modal), and nothing unsupported
    assert!(l.contains(&"one manager true".to_string()), "{t}");
    assert!(l.contains(&"update check false".to_string()), "{t}");
    assert!(!t.contains("not-supported") && !t.contains("modal"), "{t}");
    assert!(
        l.contains(&"launched at 2026-01-01 00:00".to_string()),
        "{t}"
    );
    assert!(
        l.contains(&"nav-bar Home menu 87x32 right 7".to_string()),
        "{t}"
    );
    assert!(l.contains(&"tab bar selected 0".to_string()), "{t}");
    // an npm package found by its package.json's main
    let o = page("pages/npm/npm", &[]);
    assert!(logs(&o).contains(&"padded 07".to_string()), "{}", quiet(&o));
    // require.async and the callback form, across subpackages
    let o = page("pkgA/pages/async/async", &[]);
    let l = logs(&o);
    assert!(
        l.contains(&"async loaded lib of pkgB 42".to_string()),
        "{l:?}"
    );
    assert!(
        l.contains(&"callback loaded lib of pkgB".to_string()),
        "{l:?}"
    );
    assert!(
        l.contains(&"missing rejects with mod ../../../pkgB/utils/nope.js".to_string()),
        "{l:?}"
    );
}

#[test]
fn the_custom_tab_bar_is_drawn_and_tab_pages_stay_alive() {
    // the tab bar's template is rendered below each tab page (its own instance there): a tap on
    // its item switches tab; the tab page left is hidden, not unloaded, and switching back
    // shows the same instance (no second onLoad)
    let o = page("pages/index/index", &["text=Tabs", "text=Home"]);
    let t = quiet(&o);
    assert_eq!(o.end, EndReason::Idle, "{t}");
    assert_eq!(t.matches("page load pages/index/index").count(), 1, "{t}");
    assert_eq!(t.matches("page show pages/index/index").count(), 2, "{t}");
    assert_eq!(t.matches("page hide pages/tabs/tabs").count(), 1, "{t}");
    assert!(!t.contains("page unload"), "{t}");
    let l = logs(&o);
    assert_eq!(
        l.iter().filter(|x| *x == "tab bar attached").count(),
        2,
        "{l:?}"
    );
    assert!(l.contains(&"home hidden".to_string()), "{l:?}");
    // reLaunch closes every page, the tab pages kept alive included
    let o = page("pages/index/index", &["goTabs", "restart"]);
    let l = logs(&o);
    assert!(l.contains(&"home unloaded".to_string()), "{l:?}");
    assert!(l.contains(&"tabs unloaded".to_string()), "{l:?}");
    // a page that is not a tab page shows no tab bar
    let o = page("pages/query/query", &[]);
    assert!(!logs(&o).contains(&"tab bar attached".to_string()));
}

#[test]
fn queries_made_while_a_page_loads_see_it_as_drawn() {
    // a page with no custom components renders after onLoad: a query in onLoad or onReady, or
    // right after setData, is answered from the page as drawn by then (it was `null`)
    let p = fixture("queries");
    let o = run_with(&p, &["hide"], "", |_| {});
    let l = logs(&o);
    for line in [
        "onLoad #always found",
        "after setData #later found",
        "observed #later 1",
        "onReady #always found",
        "after hiding #later null",
    ] {
        assert!(l.contains(&line.to_string()), "{line}: {l:?}");
    }
}

#[test]
fn a_tap_in_a_navigator_navigates() {
    let p = fixture("navigators");
    let run = |taps: &[&str]| run_with(&p, taps, "", |_| {});
    // relative to the page, after the handler on the way up; back; redirect
    let o = run(&["#rel", "#redirect", "#back"]);
    let l = logs(&o);
    assert_eq!(
        l,
        [
            "row tapped",
            "next opened from rel",
            "next closed",
            "next opened from redirect",
            "next closed"
        ],
        "{}",
        transcript(&o)
    );
    assert_eq!(o.end, EndReason::Idle);
    // switchTab; a plain navigate to a tab page fails as WeChat's navigateTo does: a warning
    let o = run(&["#wrong", "#tab"]);
    let t = transcript(&o);
    assert!(
        t.contains("navigateTo:fail can not navigateTo a tabbar page"),
        "{t}"
    );
    assert!(logs(&o).contains(&"tab shown".to_string()), "{t}");
    // another mini-program: not simulated, said so
    let o = run(&["#other"]);
    assert!(transcript(&o).contains("target=\"miniProgram\""));
}

#[test]
fn a_forms_submit_collects_its_named_controls() {
    let p = fixture("forms");
    let run = |taps: &[&str]| logs(&run_with(&p, taps, "", |_| {}));
    // as rendered: each control's own value or checked state
    assert_eq!(
        run(&["#send"]),
        [
            r#"submit form send {"name":"Ann","phone0":"111","phone1":"222","note":"","news":true,"age":30,"city":"0","tags":["fast"],"pay":"wechat"}"#
        ]
    );
    // as a person left them: typed, toggled, slid, picked, ticked, chosen (a list's second item too)
    let filled = [
        "input(#name)=Bob",
        "input(input.phone:nth(2))=999",
        "input(#note)=ring twice",
        "change(#news)=false",
        "change(#age)=42",
        "change(#city)=1",
        "change(checkbox.tag:nth(1))=false",
        "change(checkbox.tag:nth(3))=true",
        "change(#card)=true",
    ];
    let mut taps = filled.to_vec();
    taps.push("#send");
    assert_eq!(
        run(&taps),
        [
            r#"submit form send {"name":"Bob","phone0":"111","phone1":"999","note":"ring twice","news":false,"age":42,"city":"1","tags":["green"],"pay":"card"}"#
        ]
    );
    // reset forgets what was entered; a submit button outside a form submits nothing
    let mut taps = filled.to_vec();
    taps.extend(["#clear", "#send", "#outside"]);
    let l = run(&taps);
    assert_eq!(l.len(), 2, "{l:?}");
    assert_eq!(l[0], "reset");
    assert!(
        l[1].contains(r#""name":"Ann""#) && l[1].contains(r#""pay":"wechat""#),
        "{l:?}"
    );
    // two-way bindings: the data follows a person's change (before the change handler runs)
    assert_eq!(run(&["show"]), [r#"model {"nick":"n","agree":false}"#]);
    assert_eq!(
        run(&["input(#nick)=Zed", "change(#agree)=true", "show"]),
        [
            "agree changed to true data has true",
            r#"model {"nick":"Zed","agree":true}"#
        ]
    );
}

#[test]
fn a_failure_nothing_handles_is_a_warning() {
    let o = page("pages/index/index", &["lookUp"]);
    let t = quiet(&o);
    assert_eq!(o.end, EndReason::Idle, "{t}");
    assert!(
        t.contains(
            "warning unhandled-fail: `wx.getStorage` failed with `getStorage:fail data not found`"
        ),
        "{t}"
    );
}

#[test]
fn an_array_property_bound_to_undefined_gets_an_empty_array() {
    let o = page("pages/lifecycle/lifecycle", &[]);
    assert!(logs(&o).contains(&"list props [] null \"\" 0".to_string()));
}

#[test]
fn selector_queries_and_observers_answer_from_the_rendered_page() {
    let o = page("pages/query/query", &[]);
    let l = logs(&o);
    assert!(
        l.contains(&"head true true rows 3 nope null viewport 0".to_string()),
        "{l:?}"
    );
    assert!(l.contains(&"head in view true head".to_string()), "{l:?}");
    assert!(
        l.contains(&"canvas function true true".to_string()),
        "{l:?}"
    );
}

#[test]
fn a_broken_file_fails_only_the_pages_that_need_it() {
    let p = fixture("brokenapp");
    let files: Vec<String> = p.problems().into_iter().map(|x| x.file).collect();
    assert_eq!(
        files,
        vec![
            "components/bad/bad.js",
            "pages/badwxml/badwxml.wxml",
            "pages/badwxs/badwxs.wxml"
        ]
    );
    let reports = check_pages(&p, &RunConfig::new(&p), 2, &|_| {});
    let by = |r: &str| reports.iter().find(|x| x.route == r).unwrap();
    assert!(by("pages/ok/ok").clean());
    let bad = by("pages/badwxml/badwxml");
    let problem = bad.problem.as_ref().unwrap();
    assert_eq!(problem.kind, "error");
    assert_eq!(
        problem.at.as_deref(),
        Some("pages/badwxml/badwxml.wxml:3:1")
    );
    assert!(
        problem
            .message
            .contains("closing tag `view` does not match `text` opened at line 2, column 3"),
        "{problem:?}"
    );
    assert_eq!(
        by("pages/badcomp/badcomp")
            .problem
            .as_ref()
            .unwrap()
            .at
            .as_deref(),
        Some("components/bad/bad.js:3:26")
    );
    assert_eq!(
        by("pages/badwxs/badwxs")
            .problem
            .as_ref()
            .unwrap()
            .at
            .as_deref(),
        Some("pages/badwxs/badwxs.wxml:2:49")
    );
    // the page with the broken WXML still ran its code
    let o = run_with(&p, &[], "", |c| {
        c.page = Some("pages/badwxml/badwxml".into())
    });
    assert!(logs(&o).contains(&"the code still runs".to_string()));
    assert!(o.events.iter().any(|e| matches!(e, Event::Error { .. })));

    // usingComponents naming no component: WeChat refuses the JSON (used tag or not), and so
    // does every page that needs it, through a component too
    let ghost = by("pages/ghost/ghost").problem.clone().unwrap();
    assert_eq!(ghost.at.as_deref(), Some("pages/ghost/ghost.json:3:5"));
    assert!(
        ghost.message.starts_with(
            "Error: Component is not found in path \"components/ghost-card/index\" (using by \"pages/ghost/ghost\")"
        ),
        "{ghost:?}"
    );
    let nested = by("pages/nested/nested").problem.clone().unwrap();
    assert_eq!(
        nested.at.as_deref(),
        Some("components/holder/holder.json:4:5")
    );
    assert!(
        nested
            .message
            .contains("\"components/gone/gone\" (using by \"components/holder/holder\")"),
        "{nested:?}"
    );
    // once a run, however often the page renders
    let o = run_with(&p, &[], "", |c| c.page = Some("pages/ghost/ghost".into()));
    let errors = o
        .events
        .iter()
        .filter(|e| matches!(e, Event::Error { .. }))
        .count();
    assert_eq!(errors, 1, "{}", transcript(&o));
    assert!(logs(&o).contains(&"ghost page loaded".to_string()));
    // a plugin's and WeUI's (useExtendedLib) components are WeChat's: not simulated, not missing
    let u = by("pages/unsimulated/unsimulated");
    assert!(u.clean(), "{u:?}");
    let o = run_with(&p, &[], "", |c| {
        c.page = Some("pages/unsimulated/unsimulated".into())
    });
    let t = transcript(&o);
    assert!(t.contains("comes from a plugin"), "{t}");
    assert!(t.contains("extended library WeUI"), "{t}");
}

#[test]
fn a_property_takes_its_hosts_value_only_when_the_host_passes_a_new_one() {
    // The steps bar's observer sets the property it observes: the page re-rendering for
    // something else must neither reset it nor observe it again (a loop to the limit before).
    let o = page("pages/steps/steps", &["bump", "bump", "replace"]);
    assert_eq!(o.end, EndReason::Idle, "{}", transcript(&o));
    let decorated: Vec<String> = logs(&o)
        .into_iter()
        .filter(|l| l.starts_with("decorate"))
        .collect();
    assert_eq!(
        decorated,
        ["decorate 3", "decorate 2"],
        "observed at creation and when the page passed a new array, not on its re-renders"
    );
}
