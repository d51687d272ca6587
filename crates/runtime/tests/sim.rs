//! Simulated wx APIs (sim.js) and miniperm.json mocks: real-world flows reach their permission
//! step, missing files fail as WeChat fails them, event channels, unmocked warnings.
mod common;
use common::*;
use miniperm_runtime::{Event, LoadError, Project, RunOutcome};

fn sim(page: &str, taps: &[&str], answers: &str) -> RunOutcome {
    let page = page.to_string();
    run_with(&fixture("sim"), taps, answers, |c| c.page = Some(page))
}

fn warnings(o: &RunOutcome, code: &str) -> Vec<String> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Event::Warning {
                code: c, message, ..
            } if c == code => Some(message.clone()),
            _ => None,
        })
        .collect()
}

/// The run ended idle or waiting for an answer, with no uncaught error.
fn assert_clean(o: &RunOutcome) {
    assert!(
        errors(o).is_empty()
            && matches!(
                o.end,
                miniperm_runtime::EndReason::Idle | miniperm_runtime::EndReason::AwaitingAnswer
            ),
        "{:?}",
        errors(o)
    );
}

fn errors(o: &RunOutcome) -> Vec<String> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Event::Error { message, .. } => Some(message.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn image_save_flow_deny_then_settings() {
    let o = sim(
        "pages/poster/poster",
        &["onShare"],
        "deny,confirm,settings:scope.writePhotosAlbum=on",
    );
    assert_clean(&o);
    let t = transcript(&o);
    assert!(
        t.contains(
            "callback saveImageToPhotosAlbum success {\"errMsg\":\"saveImageToPhotosAlbum:ok\"}"
        ),
        "{t}"
    );
    assert!(warnings(&o, "unmocked").is_empty(), "{t}");
    insta::assert_snapshot!("poster_deny_confirm_settings_on", t);
}

#[test]
fn recorder_then_playback() {
    let o = sim("pages/voice/voice", &["onRecord", "onPlay"], "allow");
    assert_clean(&o);
    assert_eq!(logs(&o), vec!["canplay 3", "at 1", "at 2", "at 3"]);
    insta::assert_snapshot!("voice_record_play", transcript(&o));
}

#[test]
fn audio_of_a_missing_file_errors() {
    let o = sim("pages/voice/voice", &["onPlayMissing"], "");
    assert_eq!(logs(&o), vec!["play error 10003 file error"]);
}

#[test]
fn camera_take_photo_allow_and_deny() {
    let o = sim("pages/camera/camera", &["shoot", "clip"], "allow");
    assert_clean(&o);
    let t = transcript(&o);
    assert_eq!(t.matches("ui  authorize scope.camera").count(), 1, "{t}");
    assert!(t.contains("\"tempVideoPath\":\"wxfile://tmp/video-"), "{t}");
    insta::assert_snapshot!("camera_allow", t);

    let o = sim(
        "pages/camera/camera",
        &["shoot", "shoot"],
        "deny,confirm,confirm",
    );
    assert_eq!(
        logs(&o),
        vec![
            "takePhoto failed operateCamera:fail auth deny",
            "takePhoto failed operateCamera:fail auth deny"
        ]
    );
    insta::assert_snapshot!("camera_deny", transcript(&o));
}

#[test]
fn login_before_authorize_with_mocks() {
    let o = sim("pages/login/login", &["nearby", "slow"], "allow");
    assert_clean(&o);
    assert!(warnings(&o, "unmocked").is_empty());
    let t = transcript(&o);
    assert!(
        t.contains("{\"code\":\"mock-code\"}") || t.contains("\"code\":\"mock-code\""),
        "{t}"
    );
    assert!(
        t.contains("data pages/login/login {\"nick\":\"小明\"}"),
        "{t}"
    );
    assert!(t.contains("data pages/login/login {\"shops\":2}"), "{t}");
    assert_eq!(logs(&o), vec!["request:fail timeout"]);
    insta::assert_snapshot!("login_nearby", t);
}

#[test]
fn cloud_functions() {
    let o = sim("pages/cloud/cloud", &["onSteps", "onTodos"], "allow");
    assert_clean(&o);
    let t = transcript(&o);
    assert!(
        t.contains("data pages/cloud/cloud {\"openid\":\"o-123\"}"),
        "{t}"
    );
    assert!(t.contains("data pages/cloud/cloud {\"steps\":8000}"), "{t}");
    assert!(
        t.contains("\"weRunData\":{\"cloudID\":\"miniperm-werun\"}"),
        "{t}"
    );
    assert_eq!(logs(&o), vec!["todos 0"]);
    assert_eq!(warnings(&o, "not-supported").len(), 1, "{t}");
    insta::assert_snapshot!("cloud", t);
}

/// A cloud API miniperm does not simulate fails with the profile's `not supported` errMsg and
/// warns once, as every unsupported callback API does.
#[test]
fn cloud_storage_is_not_supported() {
    let o = sim("pages/cloud/cloud", &["onUpload"], "");
    assert_eq!(logs(&o), vec!["cloud.uploadFile:fail not supported"]);
    assert_eq!(
        warnings(&o, "not-supported"),
        vec![
            "wx.cloud.uploadFile is not supported by miniperm: it fails with `cloud.uploadFile:fail not supported`"
        ]
    );
    insta::assert_snapshot!("cloud_upload", transcript(&o));
}

#[test]
fn event_channel_between_two_pages() {
    let o = sim("pages/list/list", &["open", "choose"], "");
    assert_clean(&o);
    assert_eq!(
        logs(&o),
        vec![
            "detail got {\"id\":7,\"name\":\"拿铁\"} for id 7",
            "list got {\"name\":\"拿铁\"}"
        ]
    );
    insta::assert_snapshot!("event_channel", transcript(&o));

    // opened directly: an empty channel, nothing thrown
    let o = sim("pages/detail/detail", &["choose"], "");
    assert!(errors(&o).is_empty(), "{:?}", errors(&o));
}

#[test]
fn missing_file_paths_fail_as_wechat() {
    let o = sim("pages/files/files", &["missing"], "allow");
    let l = logs(&o);
    assert_eq!(l.len(), 8, "{l:?}");
    assert!(l[0].starts_with("logo ok {\"errMsg\":\"getImageInfo:ok\",\"width\":400,\"height\":400,\"path\":\"/images/logo.png\""), "{l:?}");
    assert!(l[1].starts_with("relative ok"), "{l:?}");
    assert_eq!(l[2], "outside fail getImageInfo:fail file not found");
    assert_eq!(l[3], "nope fail getImageInfo:fail file not found");
    assert!(l[4].starts_with("net ok {\"errMsg\":\"getImageInfo:ok\",\"width\":400,\"height\":400,\"path\":\"wxfile://tmp/download-"), "{l:?}");
    assert_eq!(l[5], "preview fail previewImage:fail file not found");
    assert_eq!(l[6], "upload fail uploadFile:fail file not found");
    // reported after the scope check: the prompt comes first
    assert_eq!(l[7], "save fail saveImageToPhotosAlbum:fail file not found");
    let t = transcript(&o);
    assert!(t.contains("ui  authorize scope.writePhotosAlbum"), "{t}");
    insta::assert_snapshot!("missing_files", t);

    // denied: the scope's failure, not the file's
    let o = sim("pages/files/files", &["missing"], "deny");
    assert_eq!(
        logs(&o)[7],
        "save fail saveImageToPhotosAlbum:fail auth deny"
    );
}

#[test]
fn file_system_manager() {
    // 11 MB of writes: a debug build on a loaded machine needs more than the default 2 s
    let o = run_with(&fixture("sim"), &["notes", "big"], "", |c| {
        c.page = Some("pages/files/files".into());
        c.limits.dispatch_ms = 30_000;
    });
    assert_eq!(
        logs(&o),
        vec![
            "accessSync:fail no such file or directory, access wxfile://usr/notes".to_string(),
            "read 你好 miniperm!".into(),
            "list [\"a.txt\"]".into(),
            "size 16 true".into(),
            "readFile:fail no such file or directory, open wxfile://usr/x".into(),
            "after unlink []".into(),
            "10 writeFileSync:fail the maximum size of the file storage limit is exceeded".into(),
        ]
    );
}

#[test]
fn unmocked_network_calls_answer_defaults_and_warn_once() {
    let o = sim("pages/bare/bare", &[], "");
    assert_clean(&o);
    let l = logs(&o);
    assert_eq!(l[0], "feed 200 {}");
    assert_eq!(l[1], "feed again 200");
    assert_eq!(l[2], "like 200");
    assert!(l[3].starts_with("pdf 200 wxfile://tmp/download-"), "{l:?}");
    assert_eq!(l[4], "photo 200 \"\"");
    assert_eq!(l[5], "mail null");
    let w = warnings(&o, "unmocked");
    assert_eq!(w.len(), 5, "{w:#?}");
    insta::assert_snapshot!("unmocked_warnings", w.join("\n"));
}

#[test]
fn a_malformed_mock_is_a_load_error_naming_the_key() {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/badmock");
    let e = Project::load(&p).unwrap_err();
    assert!(matches!(e, LoadError::BadMock(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "malformed mock `mocks.request[1].method` in miniperm.json: unknown method `FETCH` (expected one of GET, POST, PUT, DELETE, HEAD, OPTIONS, TRACE, CONNECT)"
    );
}

#[test]
fn runs_are_deterministic() {
    let a = sim("pages/poster/poster", &["onShare"], "allow");
    let b = sim("pages/poster/poster", &["onShare"], "allow");
    assert_eq!(transcript(&a), transcript(&b));
}

#[test]
fn promises_tasks_and_bad_urls() {
    let o = sim("pages/misc/misc", &["promises"], "");
    assert_eq!(
        logs(&o),
        vec![
            // each await resumes when its result is delivered, in call order
            "await 小明",
            "caught request:fail timeout",
            "task function",
            "ftp fail request:fail invalid url \"ftp://x\"",
        ]
    );
}

#[test]
fn downloads_into_usr_and_fs_errors() {
    let o = sim("pages/misc/misc", &["files"], "");
    assert_clean(&o);
    assert_eq!(
        logs(&o),
        vec![
            "to wxfile://usr/avatar.jpg true",
            // an async file operation acts when called; only its callback waits
            "left [\"avatar.jpg\",\"copy.jpg\"]",
            "outside fail downloadFile:fail permission denied, open /etc/passwd",
            "copy ok {\"errMsg\":\"copyFile:ok\"}",
            "rename fail rename:fail no such file or directory, rename wxfile://usr/deep/copy.jpg",
            "mkdir ok {\"errMsg\":\"mkdir:ok\"}",
            "mkdir again fail mkdir:fail file already exists, mkdir wxfile://usr/deep",
            "write buffer ok {\"errMsg\":\"writeFile:ok\"}",
            "bytes 2 aGk=",
            "base64 ok {\"errMsg\":\"readFile:ok\",\"data\":\"aGk=\"}",
            "rmdir fail rmdir:fail directory not empty, rmdir wxfile://usr/deep",
            "rmdir -r ok {\"errMsg\":\"rmdir:ok\"}",
            "write tmp fail writeFile:fail permission denied, open wxfile://tmp/x.txt",
        ]
    );
}

#[test]
fn saved_files_and_small_apis() {
    let o = sim("pages/misc/misc", &["saved", "small"], "");
    assert_clean(&o);
    let l = logs(&o);
    assert_eq!(
        l,
        vec![
            "no canvas fail canvasToTempFilePath:fail canvas is empty",
            "save missing fail saveFile:fail tempFilePath file not exist",
            "saved 1 true",
            "remove ok {\"errMsg\":\"removeSavedFile:ok\"}",
            "remove again fail removeSavedFile:fail file not exist",
            "cloudID {\"cloudID\":\"abc\"}",
            "net ok {\"errMsg\":\"getNetworkType:ok\",\"networkType\":\"wifi\",\"signalStrength\":100,\"hasSystemProxy\":false,\"weakNet\":false}",
            "compress ok {\"errMsg\":\"compressImage:ok\",\"tempFilePath\":\"wxfile://tmp/compress-3.jpg\"}",
            "open ok {\"errMsg\":\"openLocation:ok\"}",
            "open bad fail openLocation:fail parameter error: parameter.latitude should be Number instead of String;",
            "session ok {\"errMsg\":\"checkSession:ok\"}",
        ]
    );
    let t = transcript(&o);
    assert!(t.contains("call VideoContext.seek {\"value\":10}"), "{t}");
    assert!(!t.contains("not-supported"), "{t}");
}

#[test]
fn the_clipboard_keeps_what_was_set() {
    let o = sim("pages/misc/misc", &["clip"], "");
    assert_clean(&o);
    assert_eq!(
        logs(&o),
        vec!["clipboard before \"\"", "clipboard after 订单号 42"]
    );
}

#[test]
fn audio_pause_seek_stop_on_the_virtual_clock() {
    let o = sim("pages/misc/misc", &["media"], "");
    assert_eq!(
        logs(&o),
        vec![
            "play at 0",
            "pause at 1",
            "seeked 2",
            "play at 2",
            "stop 0 true"
        ]
    );
}

#[test]
fn file_bytes_encodings_and_trees() {
    let o = sim("pages/misc/misc", &["bytes"], "");
    assert_eq!(
        logs(&o),
        vec![
            "slice cde",
            "hex 616263646566",
            "appended abcdefg",
            "readFileSync:fail the value of \"position\" + \"length\" is out of range",
            "writeFileSync:fail invalid encoding: klingon",
            "tree // /d/ /d/e/ /t.txt", // the root is "/", a directory
            "info 7",
        ]
    );
}
