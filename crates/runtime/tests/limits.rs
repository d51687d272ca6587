//! Issue 6: runaway code ends the run with `limit`; exceptions become `error` events.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_runtime::{EndReason, Event};

#[test]
fn an_endless_loop_is_interrupted() {
    let t = std::time::Instant::now();
    let o = run_with(&fixture("limits"), &["spin", "alive"], "", |c| {
        c.limits.dispatch_ms = 100
    });
    assert_eq!(o.end, EndReason::Limit);
    assert!(t.elapsed().as_millis() < 2000);
    assert!(logs(&o).is_empty(), "the run ends at the limit");
}

#[test]
fn an_endless_interval_keeps_ticking_and_the_page_is_idle() {
    let o = go(&fixture("limits"), &["tick", "alive"], "");
    assert_eq!(o.end, EndReason::Idle, "{}", transcript(&o));
    assert!(logs(&o).iter().any(|l| l.starts_with("still alive")));
}

#[test]
fn a_timer_that_rearms_with_no_delay_ends_with_limit() {
    let o = go(&fixture("limits"), &["zero"], "");
    assert_eq!(o.end, EndReason::Limit, "{}", transcript(&o));
    assert!(transcript(&o).contains("at one instant of virtual time"));
}

#[test]
fn a_memory_hog_ends_with_limit() {
    let o = run_with(&fixture("limits"), &["hog"], "", |c| {
        c.limits.memory_bytes = 16 * 1024 * 1024
    });
    assert_eq!(o.end, EndReason::Limit, "{}", transcript(&o));
}

#[test]
fn an_uncaught_exception_is_an_error_and_the_next_tap_runs() {
    let o = go(
        &fixture("limits"),
        &["boom", "rejected", "recurse", "alive"],
        "",
    );
    let errors: Vec<&Event> = o
        .events
        .iter()
        .filter(|e| matches!(e, Event::Error { .. }))
        .collect();
    assert_eq!(errors.len(), 2, "{}", transcript(&o));
    if let Event::Error { message, stack } = errors[0] {
        assert!(message.starts_with("TypeError"), "{message}");
        assert!(stack.contains("pages/index/index.js:12"), "{stack}");
    }
    if let Event::Error { message, .. } = errors[1] {
        assert!(message.starts_with("RangeError"), "{message}");
    }
    assert!(o.events.iter().any(|e| matches!(e,
        Event::Warning { code, message, .. } if code == "unhandled-rejection" && message.contains("Error: nobody catches me"))));
    assert_eq!(logs(&o), vec!["still alive 1 1"]);
    assert_eq!(o.end, EndReason::Error);
}

#[test]
fn set_data_path_keys_and_callback() {
    let o = go(&fixture("limits"), &["paths"], "");
    assert_eq!(
        logs(&o),
        vec!["after setData B 2 {\"a\":[null,null,\"x\"]}"]
    );
}

#[test]
fn wx_can_be_spread_wrapped_and_reassigned() {
    let o = go(&fixture("limits"), &["spread"], "");
    assert_eq!(
        logs(&o),
        vec![
            "keys true function",
            "wrapped",
            "scanCode:fail not supported"
        ]
    );
    assert!(
        o.events
            .iter()
            .any(|e| matches!(e, Event::Warning { code, .. } if code == "not-supported"))
    );
}

#[test]
fn the_page_stack_stops_at_ten() {
    let o = go(&fixture("limits"), &["deep"], "");
    let l = logs(&o);
    assert_eq!(l[0], "other onLoad 1");
    assert_eq!(l[1], "other onLoad 9");
    assert_eq!(l[2], "navigateTo:fail webview count limit exceed 10");
}

#[test]
fn tab_bar_rules_and_missing_pages() {
    let o = go(&fixture("limits"), &["tabs"], "");
    assert_eq!(
        logs(&o),
        vec![
            "navigateTo:fail can not navigateTo a tabbar page",
            "redirectTo:fail page \"pages/nope/nope\" is not found",
            "switchTab:fail can not switch to no-tabBar page",
            "tab onLoad",
            "switched pages/tab/tab",
        ]
    );
}

#[test]
fn timers_run_on_the_virtual_clock() {
    let t = std::time::Instant::now();
    let o = go(&fixture("limits"), &["timers"], "");
    assert_eq!(
        logs(&o),
        vec![
            "interval 30",
            "t+50 50",
            "interval 60",
            "interval 90",
            "t+100 100"
        ]
    );
    assert!(t.elapsed().as_millis() < 1000);
}

#[test]
fn floods_of_calls_or_logs_end_with_limit_not_a_huge_heap() {
    for tap in ["flood", "chatter"] {
        let o = run_with(&fixture("limits"), &[tap], "", |c| {
            c.limits.dispatch_ms = 300
        });
        assert_eq!(o.end, EndReason::Limit, "{tap}");
        assert!(o.events.len() <= 200_001, "{tap}: {}", o.events.len());
    }
}

#[test]
fn replacing_json_and_promise_does_not_break_the_host() {
    let o = go(&fixture("limits"), &["hijack"], "");
    assert_eq!(logs(&o), vec!["still getSetting:ok"], "{}", transcript(&o));
}

#[test]
fn a_page_that_throws_while_loading_is_an_error_not_bad_input() {
    let o = go(&fixture("throws"), &["onTap"], "");
    assert_eq!(o.end, EndReason::Error);
    let t = transcript(&o);
    assert!(t.contains("error TypeError"), "{t}");
    assert!(t.contains("pages/index/index.js:2"), "{t}");
    assert!(t.contains("warning tap-skipped"), "{t}");
}
