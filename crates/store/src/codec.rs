//! Reading rows back: every column is checked, and anything this version does not know becomes
//! a [`StoreError::BadValue`], never a panic.

use miniperm_consent::StoreError;
use miniperm_core::{Channel, ConsentEvent, Subject, Value, Via};
use rusqlite::Row;
use rusqlite::types::ValueRef;

/// The columns of `events`, in the order [`event_from_row`] reads them.
pub(crate) const EVENT_COLUMNS: &str = "seq, at, user, app, channel, scope, from_state, to_state, \
     via, gesture, api, notice, profile, engine_version";

/// A column read as text or integer, for error messages.
fn show(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "null".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!("<{} byte blob>", b.len()),
    }
}

/// Reads one row of one table, turning every surprise into [`StoreError::BadValue`].
pub(crate) struct Reader<'r, 's> {
    pub row: &'r Row<'s>,
    pub table: &'static str,
    /// How the row is named in errors (a seq, or `user/app/subject`).
    pub name: String,
}

impl Reader<'_, '_> {
    fn raw(&self, i: usize, column: &'static str) -> Result<ValueRef<'_>, StoreError> {
        self.row.get_ref(i).map_err(|e| StoreError::BadValue {
            table: self.table,
            row: self.name.clone(),
            column,
            value: e.to_string(),
        })
    }

    fn bad(&self, column: &'static str, v: ValueRef<'_>) -> StoreError {
        StoreError::BadValue {
            table: self.table,
            row: self.name.clone(),
            column,
            value: show(v),
        }
    }

    pub fn int(&self, i: usize, column: &'static str) -> Result<i64, StoreError> {
        match self.raw(i, column)? {
            ValueRef::Integer(n) => Ok(n),
            v => Err(self.bad(column, v)),
        }
    }

    pub fn opt_int(&self, i: usize, column: &'static str) -> Result<Option<i64>, StoreError> {
        match self.raw(i, column)? {
            ValueRef::Null => Ok(None),
            ValueRef::Integer(n) => Ok(Some(n)),
            v => Err(self.bad(column, v)),
        }
    }

    pub fn text(&self, i: usize, column: &'static str) -> Result<String, StoreError> {
        match self.raw(i, column)? {
            ValueRef::Text(t) => match std::str::from_utf8(t) {
                Ok(s) => Ok(s.to_string()),
                Err(_) => Err(self.bad(column, ValueRef::Text(t))),
            },
            v => Err(self.bad(column, v)),
        }
    }

    pub fn opt_text(&self, i: usize, column: &'static str) -> Result<Option<String>, StoreError> {
        match self.raw(i, column)? {
            ValueRef::Null => Ok(None),
            _ => self.text(i, column).map(Some),
        }
    }

    /// Text parsed by `parse`; `None` from it is a [`StoreError::BadValue`].
    pub fn parsed<T>(
        &self,
        i: usize,
        column: &'static str,
        parse: impl FnOnce(&str) -> Option<T>,
    ) -> Result<T, StoreError> {
        let s = self.text(i, column)?;
        parse(&s).ok_or_else(|| StoreError::BadValue {
            table: self.table,
            row: self.name.clone(),
            column,
            value: s,
        })
    }

    pub fn bool(&self, i: usize, column: &'static str) -> Result<bool, StoreError> {
        match self.raw(i, column)? {
            ValueRef::Integer(0) => Ok(false),
            ValueRef::Integer(1) => Ok(true),
            v => Err(self.bad(column, v)),
        }
    }
}

/// One row of `events` (selected as [`EVENT_COLUMNS`]).
pub(crate) fn event_from_row(row: &Row<'_>) -> Result<ConsentEvent, StoreError> {
    let mut r = Reader {
        row,
        table: "events",
        name: "?".into(),
    };
    let seq = r.int(0, "seq")?;
    r.name = format!("seq {seq}");
    let seq = u64::try_from(seq).map_err(|_| StoreError::BadValue {
        table: "events",
        row: r.name.clone(),
        column: "seq",
        value: seq.to_string(),
    })?;
    Ok(ConsentEvent {
        seq,
        at: r.int(1, "at")?,
        user: r.text(2, "user")?,
        app: r.text(3, "app")?,
        channel: r.parsed(4, "channel", Channel::parse)?,
        scope: r.parsed(5, "scope", |s| Subject::parse(s).ok())?,
        from: r.parsed(6, "from_state", Value::parse)?,
        to: r.parsed(7, "to_state", Value::parse)?,
        via: r.parsed(8, "via", Via::parse)?,
        gesture: r.bool(9, "gesture")?,
        api: r.opt_text(10, "api")?,
        notice: r.opt_text(11, "notice")?,
        profile: r.text(12, "profile")?,
        engine_version: r.text(13, "engine_version")?,
    })
}
