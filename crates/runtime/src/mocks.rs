//! `miniperm.json` `mocks`: answers for the APIs that would reach the network or WeChat's
//! servers, and overrides for the results of the simulated APIs (sim.js).
//!
//! ```json
//! {"mocks": {
//!   "request": [{"method": "GET", "url": "https://api.example.com/user/*", "statusCode": 200,
//!                "data": {"name": "x"}, "header": {}}],
//!   "login": {"code": "mock-code"},
//!   "downloadFile": [{"url": "https://cdn.example.com/a.png", "statusCode": 200}],
//!   "uploadFile": [{"url": "https://api.example.com/upload", "statusCode": 200, "data": "ok"}],
//!   "cloud.callFunction": {"getOpenId": {"result": {"openid": "o-1"}}},
//!   "getImageInfo": {"width": 100, "height": 80}
//! }}
//! ```
//!
//! Entries of `request`, `downloadFile` and `uploadFile` are matched in order, first match wins:
//! by method (request only, default `GET`) and URL, exact or with `*` (inside the pattern `*`
//! matches within one path segment; a trailing `*` matches the rest of the URL). Any entry, and
//! any API's object, may be `{"fail": "request:fail timeout"}` instead of an answer. A network
//! API with no matching mock answers [`Mocks::answer`]'s documented default and the bridge
//! warns `unmocked` once per API and URL.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

/// A malformed mock, named by its key path (`mocks.request[0].method`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed mock `{key}` in miniperm.json: {reason}")]
pub struct MockError {
    pub key: String,
    pub reason: String,
}

fn bad(key: impl Into<String>, reason: impl Into<String>) -> MockError {
    MockError {
        key: key.into(),
        reason: reason.into(),
    }
}

/// What a mock answers: result fields (merged over the default or simulated result) or a
/// failure errMsg.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    Fields(Map<String, Json>),
    Fail(String),
}

#[derive(Debug, Clone, PartialEq)]
struct UrlMock {
    method: String,
    url: String,
    answer: Answer,
}

/// The simulated APIs (sim.js) whose results a mock object may override, besides the
/// URL-matched network APIs and `cloud.callFunction`.
pub const OVERRIDABLE: &[&str] = &[
    "login",
    "checkSession",
    "getImageInfo",
    "compressImage",
    "canvasToTempFilePath",
    "getNetworkType",
    "previewImage",
    "openLocation",
    "saveFile",
    "CameraContext.takePhoto",
    "CameraContext.stopRecord",
];

/// The network APIs that answer a default and warn `unmocked` when no mock matches.
pub const NETWORK: &[&str] = &[
    "request",
    "downloadFile",
    "uploadFile",
    "login",
    "cloud.callFunction",
];

const METHODS: &[&str] = &[
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// What the bridge hands back for one call.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// A mock matched.
    Mocked(Answer),
    /// A network API with no mock: the default fields and the `unmocked` warning to give.
    Default(Map<String, Json>, String),
    /// Nothing to say: the simulated result stands.
    None,
}

/// The parsed `mocks` object of miniperm.json.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Mocks {
    request: Vec<UrlMock>,
    download: Vec<UrlMock>,
    upload: Vec<UrlMock>,
    functions: BTreeMap<String, Answer>,
    apis: BTreeMap<String, Answer>,
}

impl Mocks {
    /// Parses and checks `mocks`; every error names the bad key.
    pub(crate) fn parse(v: &Json) -> Result<Mocks, MockError> {
        let Json::Object(top) = v else {
            return Err(bad("mocks", "expected an object"));
        };
        let mut m = Mocks::default();
        for (k, v) in top {
            let key = format!("mocks.{k}");
            match k.as_str() {
                "request" | "downloadFile" | "uploadFile" => {
                    let list = url_mocks(k, &key, v)?;
                    match k.as_str() {
                        "request" => m.request = list,
                        "downloadFile" => m.download = list,
                        _ => m.upload = list,
                    }
                }
                "cloud.callFunction" => {
                    let Json::Object(fns) = v else {
                        return Err(bad(
                            key,
                            "expected an object of function names, e.g. {\"getOpenId\": {\"result\": {}}}",
                        ));
                    };
                    for (name, f) in fns {
                        let fkey = format!("{key}.{name}");
                        let a = answer("cloud.callFunction", &fkey, f, &["result", "requestID"])?;
                        m.functions.insert(name.clone(), a);
                    }
                }
                api if OVERRIDABLE.contains(&api) => {
                    m.apis.insert(api.to_string(), answer(api, &key, v, &[])?);
                }
                _ => {
                    return Err(bad(
                        key,
                        format!(
                            "no such mockable api (mockable: {}, {})",
                            NETWORK.join(", "),
                            OVERRIDABLE
                                .iter()
                                .filter(|a| !NETWORK.contains(a))
                                .copied()
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(m)
    }

    /// The answer for one call. `key` is `METHOD URL` for `request`, the URL for
    /// `downloadFile`/`uploadFile`, the function name for `cloud.callFunction`, else ignored.
    pub(crate) fn answer(&self, api: &str, key: &str) -> Reply {
        match api {
            "request" => {
                let (method, url) = key.split_once(' ').unwrap_or(("GET", key));
                let method = method.to_ascii_uppercase();
                match find(&self.request, &method, url) {
                    Some(a) => Reply::Mocked(with_defaults(api, a)),
                    None => Reply::Default(
                        defaults(api),
                        format!(
                            "wx.request {method} {url} has no mock: it answers statusCode 200, data {{}}, header {{}}; add `{}` to `mocks.request` in miniperm.json",
                            json!({"method": method, "url": url, "statusCode": 200, "data": {}})
                        ),
                    ),
                }
            }
            "downloadFile" | "uploadFile" => {
                let list = if api == "downloadFile" {
                    &self.download
                } else {
                    &self.upload
                };
                match find(list, "GET", key) {
                    Some(a) => Reply::Mocked(with_defaults(api, a)),
                    None => {
                        let example = if api == "uploadFile" {
                            json!({"url": key, "statusCode": 200, "data": ""})
                        } else {
                            json!({"url": key, "statusCode": 200})
                        };
                        let answers = if api == "uploadFile" {
                            "statusCode 200, data \"\""
                        } else {
                            "statusCode 200 and a temp file"
                        };
                        Reply::Default(
                            defaults(api),
                            format!(
                                "wx.{api} {key} has no mock: it answers {answers}; add `{example}` to `mocks.{api}` in miniperm.json"
                            ),
                        )
                    }
                }
            }
            "cloud.callFunction" => match self.functions.get(key) {
                Some(a) => Reply::Mocked(with_defaults(api, a)),
                None => Reply::Default(
                    defaults(api),
                    format!(
                        "wx.cloud.callFunction `{key}` has no mock: it answers result null; add `{}` to `mocks` in miniperm.json",
                        json!({"cloud.callFunction": {key: {"result": {}}}})
                    ),
                ),
            },
            _ => match self.apis.get(api) {
                Some(a) => Reply::Mocked(with_defaults(api, a)),
                None if api == "login" => Reply::Default(
                    defaults(api),
                    "wx.login has no mock: it answers code `miniperm-login-code`; add `{\"login\": {\"code\": \"…\"}}` to `mocks` in miniperm.json".to_string(),
                ),
                None => Reply::None,
            },
        }
    }
}

/// The documented default result fields of a network API with no mock.
pub(crate) fn defaults(api: &str) -> Map<String, Json> {
    let v = match api {
        "request" => json!({"data": {}, "statusCode": 200, "header": {}, "cookies": []}),
        "downloadFile" => json!({"statusCode": 200}),
        "uploadFile" => json!({"data": "", "statusCode": 200}),
        "login" => json!({"code": "miniperm-login-code"}),
        "cloud.callFunction" => json!({"result": null}),
        _ => json!({}),
    };
    match v {
        Json::Object(m) => m,
        _ => Map::new(),
    }
}

fn with_defaults(api: &str, a: &Answer) -> Answer {
    match a {
        Answer::Fail(f) => Answer::Fail(f.clone()),
        Answer::Fields(f) => {
            let mut m = defaults(api);
            for (k, v) in f {
                m.insert(k.clone(), v.clone());
            }
            Answer::Fields(m)
        }
    }
}

/// URLs longer than this never match a mock (matching costs pattern × URL length).
const MAX_URL: usize = 16 * 1024;

fn find<'a>(list: &'a [UrlMock], method: &str, url: &str) -> Option<&'a Answer> {
    if url.len() > MAX_URL {
        return None;
    }
    let bare = url.split_once('?').map(|(b, _)| b);
    list.iter()
        .find(|m| {
            m.method == method
                && (glob(m.url.as_bytes(), url.as_bytes())
                    || (!m.url.contains('?')
                        && bare.is_some_and(|b| glob(m.url.as_bytes(), b.as_bytes()))))
        })
        .map(|m| &m.answer)
}

/// `*` inside a pattern matches within one path segment; a trailing `*` matches the rest.
/// Iterative (one row of states per pattern byte): no recursion on long patterns or URLs.
fn glob(p: &[u8], s: &[u8]) -> bool {
    // row[j]: the pattern so far matches the first j bytes of s
    let mut row = vec![false; s.len() + 1];
    row[0] = true;
    for (i, &c) in p.iter().enumerate() {
        let tail = c == b'*' && i + 1 == p.len();
        if c == b'*' {
            for j in 1..=s.len() {
                row[j] = row[j] || (row[j - 1] && (tail || s[j - 1] != b'/'));
            }
        } else {
            for j in (1..=s.len()).rev() {
                row[j] = row[j - 1] && s[j - 1] == c;
            }
            row[0] = false;
        }
        if !row.iter().any(|&b| b) {
            return false;
        }
    }
    row[s.len()]
}

fn url_mocks(api: &str, key: &str, v: &Json) -> Result<Vec<UrlMock>, MockError> {
    let items: Vec<&Json> = match v {
        Json::Array(a) => a.iter().collect(),
        Json::Object(_) => vec![v],
        _ => return Err(bad(key, "expected a list of mocks")),
    };
    let allowed: &[&str] = match api {
        "request" => &["method", "url", "statusCode", "data", "header", "cookies"],
        "downloadFile" => &["url", "statusCode", "header"],
        _ => &["url", "statusCode", "data", "header"],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let ikey = format!("{key}[{i}]");
        let Json::Object(o) = item else {
            return Err(bad(ikey, "expected an object"));
        };
        let url = match o.get("url") {
            Some(Json::String(u)) if !u.is_empty() => u.clone(),
            Some(_) => return Err(bad(format!("{ikey}.url"), "expected a non-empty string")),
            None => return Err(bad(format!("{ikey}.url"), "missing")),
        };
        let method = match o.get("method") {
            None => "GET".to_string(),
            Some(Json::String(m)) if api == "request" => {
                let up = m.to_ascii_uppercase();
                if !METHODS.contains(&up.as_str()) {
                    return Err(bad(
                        format!("{ikey}.method"),
                        format!(
                            "unknown method `{m}` (expected one of {})",
                            METHODS.join(", ")
                        ),
                    ));
                }
                up
            }
            Some(_) => {
                return Err(bad(
                    format!("{ikey}.method"),
                    "expected a string such as GET",
                ));
            }
        };
        let mut rest = o.clone();
        rest.remove("url");
        rest.remove("method");
        let answer = answer(api, &ikey, &Json::Object(rest), allowed)?;
        out.push(UrlMock {
            method,
            url,
            answer,
        });
    }
    Ok(out)
}

/// One answer object: `{"fail": "..."}` or result fields (`allowed` limits them when not empty).
fn answer(api: &str, key: &str, v: &Json, allowed: &[&str]) -> Result<Answer, MockError> {
    let Json::Object(o) = v else {
        return Err(bad(key, "expected an object"));
    };
    if let Some(f) = o.get("fail") {
        let Json::String(f) = f else {
            return Err(bad(
                format!("{key}.fail"),
                format!("expected an errMsg string such as `{api}:fail timeout`"),
            ));
        };
        if let Some(other) = o.keys().find(|k| *k != "fail") {
            return Err(bad(
                format!("{key}.{other}"),
                "a mock with `fail` takes no result fields",
            ));
        }
        let prefix = format!("{api}:fail");
        let msg = if f.starts_with(&prefix) {
            f.clone()
        } else {
            format!("{prefix} {f}")
        };
        return Ok(Answer::Fail(msg));
    }
    let mut fields = Map::new();
    for (k, val) in o {
        let fkey = format!("{key}.{k}");
        if k == "errMsg" {
            return Err(bad(fkey, "set by miniperm; use `fail` for a failure"));
        }
        if !allowed.is_empty() && !allowed.contains(&k.as_str()) {
            return Err(bad(
                fkey,
                format!("unknown field (expected {})", allowed.join(", ")),
            ));
        }
        match k.as_str() {
            "statusCode" if !val.as_u64().is_some_and(|n| (100..=599).contains(&n)) => {
                return Err(bad(fkey, "expected an http status from 100 to 599"));
            }
            "header" if !val.is_object() => return Err(bad(fkey, "expected an object")),
            "cookies" if !val.is_array() => return Err(bad(fkey, "expected a list")),
            "width" | "height" if val.as_u64().is_none_or(|n| n == 0) => {
                return Err(bad(fkey, "expected a positive integer"));
            }
            _ => {}
        }
        // uploadFile's data reaches the mini-program as a string, as the server's body
        let val = if api == "uploadFile" && k == "data" && !val.is_string() {
            Json::String(val.to_string())
        } else {
            val.clone()
        };
        fields.insert(k.clone(), val);
    }
    Ok(Answer::Fields(fields))
}

/// The bridge's JSON for one reply (`""` for [`Reply::None`]); the warning is the caller's.
pub(crate) fn reply_json(r: &Reply) -> String {
    match r {
        Reply::Mocked(Answer::Fields(f)) => json!({"ok": true, "res": f}).to_string(),
        Reply::Mocked(Answer::Fail(m)) => json!({"ok": false, "errMsg": m}).to_string(),
        Reply::Default(f, _) => json!({"ok": true, "res": f}).to_string(),
        Reply::None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mocks(v: Json) -> Mocks {
        Mocks::parse(&v).unwrap()
    }

    fn err(v: Json) -> MockError {
        Mocks::parse(&v).unwrap_err()
    }

    #[test]
    fn request_matches_method_and_url_first_wins() {
        let m = mocks(json!({"request": [
            {"url": "https://a.com/user/*/profile", "data": {"n": 1}},
            {"method": "post", "url": "https://a.com/user/*", "statusCode": 201},
            {"url": "https://a.com/user/*", "data": {"n": 2}},
            {"url": "https://a.com/user/*", "data": {"n": 3}},
        ]}));
        let data = |k: &str| match m.answer("request", k) {
            Reply::Mocked(Answer::Fields(f)) => (f["statusCode"].clone(), f["data"].clone()),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            data("GET https://a.com/user/7/profile"),
            (json!(200), json!({"n": 1}))
        );
        assert_eq!(
            data("GET https://a.com/user/7/orders/1"),
            (json!(200), json!({"n": 2}))
        );
        assert_eq!(data("POST https://a.com/user/7").0, json!(201));
        assert_eq!(data("GET https://a.com/user/7?x=1").1, json!({"n": 2}));
        assert!(matches!(
            m.answer("request", "GET https://b.com/"),
            Reply::Default(_, w) if w.contains("`{\"method\":\"GET\",\"url\":\"https://b.com/\",\"statusCode\":200,\"data\":{}}`")
        ));
    }

    #[test]
    fn glob_segments_and_suffix() {
        assert!(glob(b"https://x/*", b"https://x/a/b"));
        assert!(glob(b"https://x/*/b", b"https://x/a/b"));
        assert!(!glob(b"https://x/*/b", b"https://x/a/c/b"));
        assert!(glob(b"https://x/a", b"https://x/a"));
        assert!(!glob(b"https://x/a", b"https://x/ab"));
        assert!(glob(b"https://x/a*", b"https://x/a"));
        assert!(glob(b"*", b""));
        // long inputs: no recursion
        let long = vec![b'a'; 3_000];
        assert!(glob(&long, &long));
        let mut star = long.clone();
        star.push(b'*');
        assert!(glob(&star, &long));
        assert!(!glob(&star, b"ab"));
    }

    #[test]
    fn fails_and_overrides() {
        let m = mocks(json!({
            "login": {"fail": "timeout"},
            "getImageInfo": {"width": 100, "height": 80},
            "uploadFile": {"url": "https://u", "data": {"ok": true}},
            "cloud.callFunction": {"getOpenId": {"result": {"openid": "o"}}},
        }));
        assert_eq!(
            m.answer("login", ""),
            Reply::Mocked(Answer::Fail("login:fail timeout".into()))
        );
        assert_eq!(
            reply_json(&m.answer("getImageInfo", "")),
            r#"{"ok":true,"res":{"width":100,"height":80}}"#
        );
        assert_eq!(
            reply_json(&m.answer("uploadFile", "https://u")),
            r#"{"ok":true,"res":{"data":"{\"ok\":true}","statusCode":200}}"#
        );
        assert_eq!(
            reply_json(&m.answer("cloud.callFunction", "getOpenId")),
            r#"{"ok":true,"res":{"result":{"openid":"o"}}}"#
        );
        assert!(matches!(
            m.answer("cloud.callFunction", "x"),
            Reply::Default(..)
        ));
        assert_eq!(m.answer("getNetworkType", ""), Reply::None);
    }

    #[test]
    fn errors_name_the_key() {
        let cases = [
            (json!([]), "mocks"),
            (json!({"reqest": []}), "mocks.reqest"),
            (
                json!({"request": [{"url": "x", "method": "FETCH"}]}),
                "mocks.request[0].method",
            ),
            (
                json!({"request": [{"method": "GET"}]}),
                "mocks.request[0].url",
            ),
            (
                json!({"request": [{"url": "x", "statuscode": 200}]}),
                "mocks.request[0].statuscode",
            ),
            (
                json!({"request": [{"url": "x", "statusCode": "200"}]}),
                "mocks.request[0].statusCode",
            ),
            (json!({"login": {"fail": 1}}), "mocks.login.fail"),
            (
                json!({"login": {"fail": "x", "code": "c"}}),
                "mocks.login.code",
            ),
            (
                json!({"cloud.callFunction": {"f": {"resul": 1}}}),
                "mocks.cloud.callFunction.f.resul",
            ),
            (
                json!({"getImageInfo": {"width": -1}}),
                "mocks.getImageInfo.width",
            ),
            (
                json!({"downloadFile": [{"url": "x", "data": 1}]}),
                "mocks.downloadFile[0].data",
            ),
        ];
        for (v, key) in cases {
            assert_eq!(err(v.clone()).key, key, "{v}");
        }
        assert_eq!(
            err(json!({"request": [{"url": "x", "method": "FETCH"}]})).to_string(),
            "malformed mock `mocks.request[0].method` in miniperm.json: unknown method `FETCH` (expected one of GET, POST, PUT, DELETE, HEAD, OPTIONS, TRACE, CONNECT)"
        );
    }

    proptest::proptest! {
        #[test]
        fn a_url_matches_itself_and_its_prefix_star(url in "https://[a-z]{1,8}\\.com(/[a-z0-9?=&]{0,6}){0,4}", cut in 0usize..40) {
            let b = url.as_bytes();
            proptest::prop_assert!(glob(b, b));
            let cut = cut.min(b.len());
            let mut p = b[..cut].to_vec();
            p.push(b'*');
            proptest::prop_assert!(glob(&p, b));
        }

        #[test]
        fn an_inner_star_stays_in_its_segment(a in "[a-z]{1,6}", seg in "[a-z0-9]{0,6}", rest in "[a-z]{1,6}") {
            let url = format!("https://x.com/{a}/{seg}/{rest}");
            let pat = format!("https://x.com/{a}/*/{rest}");
            proptest::prop_assert!(glob(pat.as_bytes(), url.as_bytes()));
            let deeper = format!("https://x.com/{a}/{seg}/y/{rest}");
            proptest::prop_assert!(!glob(pat.as_bytes(), deeper.as_bytes()));
        }
    }
}
