//! The JS bridge: the `N.*` functions the prelude calls (the state they share with Rust is
//! `shared`'s).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object};
use serde_json::{Map, Value as Json, json};

use crate::event::Event;
use crate::project::Project;
use crate::source::Source;
use crate::stack::call_site;

use super::config::RunConfig;
use super::js::parse_fail;
use super::outcome::Halt;
use super::shared::{Incoming, Job, Shared};
use super::{payload, render};

/// The run's stop flags, for the host functions that call back into the prelude.
pub(super) struct Flags {
    pub(super) interrupted: Rc<Cell<bool>>,
    pub(super) refused: crate::heap::Refused,
}

pub(super) fn install<'js>(
    ctx: &Ctx<'js>,
    project: &Project,
    cfg: &RunConfig,
    shared: &Rc<RefCell<Shared>>,
    first: &str,
    flags: Flags,
) -> Result<(Object<'js>, Object<'js>), String> {
    let e = |e: rquickjs::Error| e.to_string();
    let n = Object::new(ctx.clone()).map_err(e)?;
    {
        // `N.render(H, route, false)`: a page being opened renders at once, so that its
        // components are created and attached before its onLoad (WeChat's order).
        // `N.render(H, '', true)`: the current page renders now if its render is stale (never
        // rendered, or data set since): what a selector query or an observer reads is the page
        // as drawn after the data set so far, as WeChat answers them from its render layer.
        // A failure to finish is the run's to report when the prelude returns (the stop flags
        // are set).
        let sh = shared.clone();
        let p = project.clone();
        let Flags {
            interrupted,
            refused,
        } = flags;
        n.set(
            "render",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, h: Object<'js>, route: String, stale_only: bool| {
                    if !p.has_wxml() {
                        return;
                    }
                    if stale_only {
                        let s = sh.borrow();
                        if !s.page.dirty && !s.page.stale && s.page.tree.is_some() {
                            return;
                        }
                    } else if !p.may_use_components(&route) {
                        // A page without custom components renders after onLoad as before:
                        // nothing of its lifecycle depends on a render before it.
                        return;
                    }
                    let pr = render::Prelude {
                        ctx,
                        h,
                        sh: sh.clone(),
                        project: p.clone(),
                        interrupted: interrupted.clone(),
                        refused: refused.clone(),
                    };
                    if let Err(Halt::Fail(err)) = render::render_page(&pr) {
                        sh.borrow_mut().record.limit = Some(err.to_string());
                        sh.borrow().record.stop.set(true);
                    }
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let (w, h) = (cfg.device.width, cfg.device.height);
        n.set(
            "layout",
            Function::new(
                ctx.clone(),
                move |owner: String, sel: String, kind: String, all: bool, fields: String| {
                    let fields: Json = serde_json::from_str(&fields).unwrap_or(Json::Null);
                    let s = sh.borrow();
                    let q = render::Query {
                        owner: &owner,
                        sel: &sel,
                        kind: &kind,
                        all,
                        fields: &fields,
                    };
                    render::layout(s.page.tree.as_deref(), (w, h), &q).to_string()
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let p = project.clone();
        n.set(
            "emit",
            Function::new(ctx.clone(), move |ty: String, json: String| {
                if !sh
                    .borrow_mut()
                    .record
                    .keep(json.len(), "transcript events (logs, setData payloads)")
                {
                    return;
                }
                if let Some(ev) =
                    event_direct(&ty, &json, &p).or_else(|| event_general(ty, &json, &p))
                {
                    sh.borrow_mut().record.push(ev);
                }
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let p = project.clone();
        n.set(
            "call",
            Function::new(
                ctx.clone(),
                move |id: f64, api: String, json: String, at: Opt<String>| {
                    if !sh
                        .borrow_mut()
                        .record
                        .keep(json.len() * 2, "api call arguments")
                    {
                        return;
                    }
                    let args: Json = serde_json::from_str(&json).unwrap_or(Json::Null);
                    let mut s = sh.borrow_mut();
                    if s.queue_full() {
                        return;
                    }
                    let gesture = s.clock.gesture;
                    // The transcript records the call when the program makes it, not when the host
                    // gets round to answering it (issue 7: order as the program did things).
                    s.record.push(Event::Call {
                        api: api.clone(),
                        args: args.clone(),
                        at: at.0.filter(|a| !a.is_empty()).map(|a| p.map_site(&a)),
                    });
                    s.queues.incoming.push_back(Incoming {
                        id: id as u32,
                        api,
                        args,
                        gesture,
                    });
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    // The call site in a stack (`new Error().stack`), parsed here: a JS regex over every frame
    // was a measurable share of an explored path.
    n.set(
        "site",
        Function::new(ctx.clone(), |stack: String| {
            call_site(&stack).unwrap_or_default()
        })
        .map_err(e)?,
    )
    .map_err(e)?;
    {
        let sh = shared.clone();
        n.set(
            "dirty",
            Function::new(ctx.clone(), move || {
                sh.borrow_mut().page.dirty = true;
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "select",
            Function::new(ctx.clone(), move |owner: String, sel: String, all: bool| {
                let s = sh.borrow();
                let keys = match (&s.page.tree, miniperm_wxml::Selector::parse(&sel)) {
                    (Some(tree), Ok(sel)) => render::select_components(tree, &owner, &sel, all),
                    _ => Vec::new(),
                };
                serde_json::to_string(&keys).unwrap_or_else(|_| "[]".into())
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "task",
            Function::new(ctx.clone(), move |id: f64| {
                let mut s = sh.borrow_mut();
                if !s.queue_full() {
                    s.queues.jobs.push_back(Job::Task(id as u32));
                }
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "now",
            Function::new(ctx.clone(), move || sh.borrow().clock.now as f64).map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let p = project.clone();
        n.set(
            "uncaught",
            Function::new(ctx.clone(), move |msg: String, stack: String| {
                sh.borrow_mut().record.error(msg, p.map_stack(&stack));
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        // `N.unsupported(api, shape)`: a call of an API miniperm does not simulate, recorded
        // and warned about once; `N.warnUnsupported(api, shape)` only warns (the caller recorded
        // the call); `N.notSupported(api)`: the errMsg it fails with, the profile's spelling.
        let sh = shared.clone();
        let profile = cfg.profile.clone();
        n.set(
            "unsupported",
            Function::new(ctx.clone(), move |api: String, shape: String| {
                let mut s = sh.borrow_mut();
                s.record.push(Event::Call {
                    api: api.clone(),
                    args: Json::Object(Map::new()),
                    at: None,
                });
                s.record.warn(
                    "not-supported",
                    payload::not_supported_message(&api, &shape, &profile),
                );
            })
            .map_err(e)?,
        )
        .map_err(e)?;
        let sh = shared.clone();
        let profile = cfg.profile.clone();
        n.set(
            "warnUnsupported",
            Function::new(ctx.clone(), move |api: String, shape: String| {
                sh.borrow_mut().record.warn(
                    "not-supported",
                    payload::not_supported_message(&api, &shape, &profile),
                );
            })
            .map_err(e)?,
        )
        .map_err(e)?;
        let profile = cfg.profile.clone();
        n.set(
            "notSupported",
            Function::new(ctx.clone(), move |api: String| {
                miniperm_core::Fail::NotSupported.err_msg(&profile, &api)
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let p = project.clone();
        n.set(
            "warn",
            Function::new(
                ctx.clone(),
                move |code: String,
                      message: String,
                      at: Opt<Option<String>>,
                      failure: Opt<Option<String>>| {
                    // `at` may be missing, undefined or empty: no call site.
                    let at = at.0.flatten().filter(|a| !a.is_empty());
                    let failure = failure.0.flatten().and_then(|f| parse_fail(&f));
                    sh.borrow_mut().record.warn_failure(
                        &code,
                        message,
                        at.map(|a| p.map_site(&a)),
                        failure,
                    );
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        // `N.observe(key)`: the program read a consent fact (`scope.x`, `os.camera`) through a
        // result object the prelude watches; its value is the state's now.
        let sh = shared.clone();
        n.set(
            "observe",
            Function::new(ctx.clone(), move |key: String| {
                let Ok(subject) = miniperm_core::Subject::parse(&key) else {
                    return;
                };
                if subject == miniperm_core::Subject::All {
                    return;
                }
                let mut s = sh.borrow_mut();
                let value = s.consent.state.value(subject);
                s.record
                    .observe(subject, value, crate::event::Observed::Read);
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "privacyListener",
            Function::new(ctx.clone(), move |on: bool| {
                sh.borrow_mut().consent.privacy_listener = on;
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let p = project.clone();
        n.set(
            "resolve",
            Function::new(ctx.clone(), move |from: String, spec: String| {
                p.resolve(&from, &spec).unwrap_or_default()
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let p = project.clone();
        n.set(
            "load",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, path: String| -> rquickjs::Result<rquickjs::Value<'js>> {
                    match p.inner.files.get(&path) {
                        Some(Source::Js(src)) => {
                            let mut opts = rquickjs::context::EvalOptions::default();
                            opts.global = true;
                            opts.strict = false;
                            opts.filename = Some(path.clone());
                            ctx.eval_with_options(src.as_str(), opts)
                        }
                        Some(Source::Json(t)) => {
                            rquickjs::String::from_str(ctx.clone(), t).map(|s| s.into_value())
                        }
                        Some(Source::Broken(problem)) => Err(rquickjs::Exception::throw_syntax(
                            &ctx,
                            &problem.to_string(),
                        )),
                        None => Err(rquickjs::Exception::throw_reference(
                            &ctx,
                            &format!("module `{path}` is not defined"),
                        )),
                    }
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        // WXS modules: the wrapper of `id` evaluated, and `require` between `.wxs` files
        // (relative to the requiring module's file).
        let p = project.clone();
        n.set(
            "loadWxs",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, id: String| -> rquickjs::Result<rquickjs::Value<'js>> {
                    match p.wxs_source(&id) {
                        Some(Source::Js(src)) => {
                            let mut opts = rquickjs::context::EvalOptions::default();
                            opts.global = true;
                            opts.strict = false;
                            opts.filename = Some(id.clone());
                            ctx.eval_with_options(src.as_str(), opts)
                        }
                        Some(Source::Broken(problem)) => Err(rquickjs::Exception::throw_syntax(
                            &ctx,
                            &problem.to_string(),
                        )),
                        _ => Err(rquickjs::Exception::throw_reference(
                            &ctx,
                            &format!("wxs module `{id}` is not defined"),
                        )),
                    }
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
        n.set(
            "resolveWxs",
            Function::new(ctx.clone(), |from: String, spec: String| {
                miniperm_wxml::resolve(&from, &spec, ".wxs")
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let manifest = project.manifest().clone();
        let profile = cfg.profile.clone();
        let base_lib = cfg.effective_base_lib();
        let system = cfg.system;
        let device = cfg.device;
        n.set(
            "query",
            Function::new(ctx.clone(), move |name: String| {
                let s = sh.borrow();
                let v = match name.as_str() {
                    "privacySetting" => {
                        let (need, contract) = manifest.privacy_setting(&s.consent.state);
                        json!({"needAuthorization": need, "privacyContractName": contract})
                    }
                    "appAuthorizeSetting" => payload::app_authorize_setting(&s.consent.state),
                    "systemSetting" => json!({
                        "bluetoothEnabled": system.bluetooth_enabled,
                        "locationEnabled": system.location_enabled,
                        "wifiEnabled": system.wifi_enabled,
                        "deviceOrientation": "portrait",
                    }),
                    other => payload::system_info(
                        other
                            .strip_prefix("systemInfo:")
                            .unwrap_or("getSystemInfoSync"),
                        &profile,
                        base_lib,
                        &system,
                        &s.consent.state,
                        &device,
                    ),
                };
                v.to_string()
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        // sim.js: miniperm.json mocks (warning `unmocked` once per API and URL) and project files
        let p = project.clone();
        let sh = shared.clone();
        n.set(
            "mock",
            Function::new(ctx.clone(), move |api: String, key: String| {
                let r = p.inner.sim.mocks.answer(&api, &key);
                if let crate::mocks::Reply::Default(_, w) = &r {
                    sh.borrow_mut().record.warn("unmocked", w.clone());
                }
                crate::mocks::reply_json(&r)
            })
            .map_err(e)?,
        )
        .map_err(e)?;
        let p = project.clone();
        n.set(
            "asset",
            Function::new(ctx.clone(), move |path: String| p.inner.sim.is_asset(&path))
                .map_err(e)?,
        )
        .map_err(e)?;
    }
    let bl = cfg.effective_base_lib();
    let base_lib_num = u32::from(bl.0) * 1_000_000 + u32::from(bl.1) * 1_000 + u32::from(bl.2);
    let cfg_json = json!({
        "pages": project.pages(),
        "tabs": project.tab_pages(),
        "appid": project.appid(),
        "envVersion": cfg.channel.as_str(),
        "firstPage": first,
        "seed": cfg.seed,
        "baseLib": base_lib_num,
        "osFields": payload::os_fields(),
        "clip": cfg.clip.unwrap_or(0),
    });
    let cfg_obj: rquickjs::Value = ctx.json_parse(cfg_json.to_string()).map_err(e)?;
    // The bytecode, else (none, or this build's QuickJS refused it) the prelude's source.
    let f: Function = match &project.inner.prelude {
        Some(bc) => crate::bytecode::load(ctx, bc).or_else(|_| {
            let _ = ctx.catch();
            crate::bytecode::parse(ctx)
        }),
        None => crate::bytecode::parse(ctx),
    }
    .map_err(e)?;
    let h: Object = {
        use rquickjs::CatchResultExt;
        f.call((n.clone(), cfg_obj))
            .catch(ctx)
            .map_err(|err| format!("the prelude failed to start: {err}"))?
    };
    // `n` too: its functions are the host's Rust closures (see `Engine::pins`).
    Ok((h, n))
}

/// An emitted event as `N.emit` always read it: the JSON into a `serde_json::Value`, its `at`
/// mapped, its `type` set, then into an [`Event`].
fn event_general(ty: String, json: &str, p: &Project) -> Option<Event> {
    let mut fields: Json = serde_json::from_str(json).unwrap_or(Json::Null);
    let Json::Object(m) = &mut fields else {
        return None;
    };
    if let Some(Json::String(at)) = m.get_mut("at") {
        *at = p.map_site(at);
    }
    m.insert("type".into(), Json::String(ty));
    serde_json::from_value::<Event>(fields).ok()
}

/// An emitted event parsed straight from its JSON, without a `serde_json::Value` in between,
/// when that gives what the general path in `N.emit` gives: the object names no `type` of its
/// own (the general path overwrites it) and parses as an [`Event`]. Call sites (`at`) are
/// mapped as there. None: take the general path.
fn event_direct(ty: &str, json: &str, p: &Project) -> Option<Event> {
    let body = json.trim_start().strip_prefix('{')?;
    if json.contains("\"type\"") {
        return None;
    }
    let tag = serde_json::to_string(ty).ok()?;
    let sep = if body.trim_start().starts_with('}') {
        ""
    } else {
        ","
    };
    let text = format!("{{\"type\":{tag}{sep}{body}");
    let mut ev: Event = serde_json::from_str(&text).ok()?;
    match &mut ev {
        Event::Call { at: Some(at), .. }
        | Event::Callback { at: Some(at), .. }
        | Event::Warning { at: Some(at), .. } => *at = p.map_site(at),
        Event::Ui { detail, .. } => {
            if let Some(Json::String(at)) = detail.get_mut("at") {
                *at = p.map_site(at);
            }
        }
        _ => {}
    }
    Some(ev)
}

#[cfg(test)]
mod site_tests {
    use super::call_site;

    #[test]
    fn first_project_frame() {
        let stack = "    at site (<prelude>:73:13)\n    at native (<prelude>:166:5)\n    at onLocate (pages/index/index.js:7:5)\n    at <anonymous> (<input>:1:1)\n";
        assert_eq!(
            call_site(stack).as_deref(),
            Some("pages/index/index.js:7:5")
        );
    }

    #[test]
    fn shapes_the_regex_accepts_and_refuses() {
        assert_eq!(
            call_site("    at pages/a.js:1:2").as_deref(),
            Some("pages/a.js:1:2")
        );
        assert_eq!(
            call_site("at f (a:b.js:10:20) \r").as_deref(),
            Some("a:b.js:10:20")
        );
        assert_eq!(call_site("x)y.js:3:4").as_deref(), Some("y.js:3:4"));
        assert_eq!(call_site("at f (a.js:1:2))"), None);
        assert_eq!(call_site("at f (a.js:1)"), None);
        assert_eq!(call_site("at f (:1:2)"), None);
        assert_eq!(call_site("at f (a.js:x1:2)"), None);
        assert_eq!(
            call_site("at f (<x>:1:2)\nat g (b.js:1:2)").as_deref(),
            Some("b.js:1:2")
        );
        assert_eq!(call_site(""), None);
    }
}

#[cfg(test)]
mod emit_tests {
    use super::{event_direct, event_general};
    use crate::project::Project;

    #[test]
    fn the_direct_parse_gives_what_the_general_one_gives() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tstemplate");
        let p = Project::load(&dir).unwrap_or_else(|e| panic!("{e}"));
        let cases = [
            (
                "call",
                r#"{"api":"getSetting","args":{"a":[1,2.5,-3e-7,null]},"at":"pages/index/index.ts:3:5"}"#,
            ),
            ("call", r#"{"api":"x","args":{}}"#),
            (
                "callback",
                r#"{"api":"x","kind":"success","res":{"errMsg":"x:ok"},"at":"app.ts:2:1"}"#,
            ),
            (
                "ui",
                r#"{"ui":"modal","title":"t","content":"c","at":"pages/index/index.ts:9:9"}"#,
            ),
            (
                "warning",
                r#"{"code":"c","message":"m","at":"app.ts:1:200"}"#,
            ),
            ("log", r#"{"level":"log","args":["a",{"b":1}]}"#),
            ("end", r#"{"reason":"idle"}"#),
            ("page", r#"{"action":"load","route":"pages/index/index"}"#),
            ("data", r#"{"route":"r","patch":{"type":"nested is fine"}}"#),
            ("ui", r#"{"ui":"modal","type":"own type"}"#),
            ("call", r#"{"api":"x","api":"y","args":{}}"#),
            ("log", r#"{}"#),
            ("log", r#"not json"#),
            ("nosuch", r#"{"a":1}"#),
        ];
        for (ty, json) in cases {
            let general = event_general(ty.to_string(), json, &p);
            if let Some(direct) = event_direct(ty, json, &p) {
                assert_eq!(Some(direct), general, "{ty} {json}");
            }
        }
        // The common shapes do take the direct path.
        assert!(event_direct("call", cases[0].1, &p).is_some());
        assert!(event_direct("ui", cases[3].1, &p).is_some());
        // And map the call site as the general path does (line 1 loses the loader's head).
        let Some(crate::event::Event::Warning { at: Some(at), .. }) =
            event_direct("warning", cases[4].1, &p)
        else {
            panic!("a warning")
        };
        assert_ne!(at, "app.ts:1:200");
    }
}
