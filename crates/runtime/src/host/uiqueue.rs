//! The native-UI queue: one UI at a time, first in first out (D9, D14); prompts, modals,
//! action sheets, pickers and the settings page, each answered by the `User`.

use miniperm_core::{
    Answer, Ask, Fail, Outcome, Request, SettingsPage, Then, apply_settings, decide, resolve,
    setting_result,
};
use serde_json::{Value as Json, json};

use crate::event::{EndReason, Event};
use crate::user::{PrivacySource, UiAnswer, UiRequest};

use super::driver::{Driver, open_event};
use super::outcome::{Halt, RunError};
use super::payload::{err_name, ok_res};
use super::pending::{Asking, Pending};
use super::shared::Job;

/// Decisions one engine call takes at most before it fails `not supported` (a safety net: an
/// answer always settles a step of R36).
const MAX_TRIES: u8 = 8;

impl<'js> Driver<'_, 'js> {
    /// Shows a UI and takes the user's answer (events `ui` and `answer`); a user that wants to
    /// branch here suspends the run instead (the answer comes with [`Driver::resume`]).
    pub(super) fn ask(&mut self, asking: Asking) -> Result<(), Halt> {
        self.push(asking.ui.event());
        if self.user.suspend_at(&asking.ui) {
            return Err(Halt::Suspend(Box::new(asking)));
        }
        let Some(a) = self.user.answer(&asking.ui) else {
            return Err(Halt::End(
                EndReason::AwaitingAnswer,
                Some(asking.ui.kind().to_string()),
            ));
        };
        self.answered(asking, a)
    }

    /// The user's answer `a` to the UI `asking` shows: the answer's event, then its effect.
    pub(super) fn answered(&mut self, asking: Asking, a: UiAnswer) -> Result<(), Halt> {
        let ui = &asking.ui;
        if !ui.fits(&a) {
            return Err(Halt::Fail(RunError::AnswerMismatch {
                answer: a.to_string(),
                ui: ui.describe(),
            }));
        }
        self.push(Event::Answer {
            ui: ui.kind().to_string(),
            answer: a.to_string(),
        });
        match asking.pending {
            Pending::Modal { id, ui } => {
                let confirm = matches!(a, UiAnswer::Confirm | UiAnswer::ConfirmWith(_));
                let mut m = ok_res("showModal");
                m.insert("confirm".into(), json!(confirm));
                m.insert("cancel".into(), json!(!confirm));
                // `content`: the typed text of an editable modal, else empty (the typings
                // require the field)
                let text = match (&ui, &a) {
                    (UiRequest::Modal { editable: true, .. }, UiAnswer::ConfirmWith(t)) => {
                        t.clone()
                    }
                    _ => String::new(),
                };
                m.insert("content".into(), json!(text));
                self.deliver(id, true, Json::Object(m), true);
            }
            Pending::Sheet { id, .. } => match a {
                UiAnswer::Sheet(n) => {
                    let mut m = ok_res("showActionSheet");
                    m.insert("tapIndex".into(), json!(n));
                    self.deliver(id, true, Json::Object(m), true);
                }
                _ => self.deliver(
                    id,
                    false,
                    json!({"errMsg": "showActionSheet:fail cancel"}),
                    true,
                ),
            },
            Pending::Settings {
                id,
                button,
                with_subscriptions,
            } => {
                if let UiAnswer::Settings(changes) = &a {
                    let c = apply_settings(&self.state(), self.project.manifest(), changes, true)
                        .map_err(|e| {
                        Halt::Fail(RunError::BadSetting {
                            answer: a.to_string(),
                            reason: e.to_string(),
                        })
                    })?;
                    self.commit(c)?;
                }
                let res = setting_result(&self.state(), "openSetting", with_subscriptions);
                // Back on the page: onShow runs (no gesture), then the result arrives.
                self.js("uncover", ())?;
                if let Some(id) = id {
                    self.deliver(id, true, res.clone(), true);
                }
                if let Some(t) = button {
                    let ev = open_event("opensetting", &t, res);
                    self.sh.borrow_mut().queues.jobs.push_back(Job::Handler {
                        owner: t.owner,
                        name: t.handler,
                        event: ev,
                    });
                }
            }
            Pending::Engine {
                id,
                api,
                req,
                picker,
                args,
                tries,
            } => {
                let name = err_name(&api).to_string();
                let Some(ask) = asking.ask else {
                    // the picker of an allowed call
                    if picker && a == UiAnswer::Pick {
                        self.succeed(id, &api, &args, false);
                    } else {
                        self.deliver(
                            id,
                            false,
                            json!({"errMsg": format!("{api}:fail cancel")}),
                            false,
                        );
                    }
                    return Ok(());
                };
                let answer = match a {
                    UiAnswer::Allow => Answer::Allow,
                    UiAnswer::Deny => Answer::Deny,
                    UiAnswer::Agree => Answer::Agree,
                    _ => Answer::Disagree,
                };
                if let (Ask::PrivacyListener { .. }, Answer::Agree) = (ask, answer) {
                    // The user's agree is a tap on the page's agree button (R26, R29).
                    if let Some(t) = self.agree_button()? {
                        let detail = json!({"errMsg": "agreePrivacyAuthorization:ok"});
                        let ev = open_event("agreeprivacyauthorization", &t, detail);
                        self.invoke(&t.owner, &t.handler, ev)?;
                        self.microtasks()?;
                    }
                }
                let req = Request {
                    now: self.now(),
                    ..req
                };
                let r = resolve(&ask, answer, &req, &self.state(), &self.env()).map_err(|e| {
                    Halt::Fail(RunError::AnswerMismatch {
                        answer: a.to_string(),
                        ui: e.to_string(),
                    })
                })?;
                self.commit(r.changes)?;
                if let Then::Fail(f) = r.then {
                    self.deliver_fail(id, f, &name, false);
                    return Ok(());
                }
                // Decide again at once (D9: what the answer settled is not asked twice).
                self.head(Pending::Engine {
                    id,
                    api,
                    req,
                    picker,
                    args,
                    tries,
                })?;
            }
        }
        Ok(())
    }

    /// The UI at the head of the queue: shown and answered, or settled without asking.
    pub(super) fn head(&mut self, p: Pending) -> Result<(), Halt> {
        match self.present(p)? {
            Some(asking) => self.ask(asking),
            None => Ok(()),
        }
    }

    /// What showing `p` takes before its answer: the UI to ask, or `None` when the call
    /// settled without one (an engine call decided at once).
    fn present(&mut self, p: Pending) -> Result<Option<Asking>, Halt> {
        Ok(match p {
            Pending::Modal { ref ui, .. } | Pending::Sheet { ref ui, .. } => Some(Asking {
                ui: ui.clone(),
                pending: p,
                ask: None,
            }),
            Pending::Settings { .. } => {
                let page = SettingsPage::new(&self.state(), self.project.manifest());
                {
                    let state = self.state();
                    let mut sh = self.sh.borrow_mut();
                    for r in &page.rows {
                        let s = miniperm_core::Subject::Scope(r.scope);
                        sh.record
                            .observe(s, state.value(s), crate::event::Observed::Shown);
                    }
                }
                // The settings page is a native page pushed over the mini-program's page.
                self.js("cover", ())?;
                Some(Asking {
                    ui: UiRequest::Settings { page },
                    pending: p,
                    ask: None,
                })
            }
            Pending::Engine {
                id,
                api,
                req,
                picker,
                args,
                tries,
            } => self.engine(id, api, req, picker, args, tries)?,
        })
    }

    /// An engine call at the head of the UI queue: decide (again: D9, a scope decided while it
    /// waited is answered without a second prompt); the UI to ask, or `None` once settled.
    fn engine(
        &mut self,
        id: u32,
        api: String,
        req: Request,
        picker: bool,
        args: Json,
        tries: u8,
    ) -> Result<Option<Asking>, Halt> {
        let name = err_name(&api).to_string();
        if tries >= MAX_TRIES {
            self.deliver_fail(id, Fail::NotSupported, &name, false);
            return Ok(None);
        }
        let req = Request {
            now: self.now(),
            ..req
        };
        let d = decide(&req, &self.state(), &self.env());
        self.note(&d, &req)?;
        let ask = match d.outcome {
            Outcome::Allow if picker => {
                return Ok(Some(Asking {
                    ui: UiRequest::Picker { api: api.clone() },
                    pending: Pending::Engine {
                        id,
                        api,
                        req,
                        picker,
                        args,
                        tries: tries + 1,
                    },
                    ask: None,
                }));
            }
            Outcome::Allow => {
                self.succeed(id, &api, &args, false);
                return Ok(None);
            }
            Outcome::Fail(f) => {
                self.deliver_fail(id, f, &name, false);
                return Ok(None);
            }
            Outcome::Ask(a) => a,
        };
        let ui = match ask {
            Ask::ScopePrompt {
                scope,
                with_privacy,
            } => UiRequest::Authorize {
                scope,
                desc: self.project.manifest().desc(scope).map(str::to_string),
                with_privacy,
            },
            Ask::OsPrompt { permission } => UiRequest::System { permission },
            Ask::PrivacyListener { referrer } => {
                self.js("privacy", (referrer.as_str().to_string(),))?;
                // The page's own popup gets ready (its callbacks, its render) before the
                // user sees it and answers.
                self.drain()?;
                UiRequest::Privacy {
                    referrer: referrer.as_str().to_string(),
                    source: PrivacySource::Listener,
                }
            }
            Ask::PrivacyPopup { referrer } => UiRequest::Privacy {
                referrer: referrer.as_str().to_string(),
                source: PrivacySource::Popup,
            },
        };
        Ok(Some(Asking {
            ui,
            pending: Pending::Engine {
                id,
                api,
                req,
                picker,
                args,
                tries: tries + 1,
            },
            ask: Some(ask),
        }))
    }
}
