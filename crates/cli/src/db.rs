//! Opening the consent store from `--db`, `--ephemeral` and `MINIPERM_DB`, shared by every
//! subcommand that reads or writes consent (settings now; run and explore later).
//!
//! Where the store is, first match wins:
//! 1. `--ephemeral`: in memory, nothing read or written on disk;
//! 2. `--database-url postgres://…`: a PostgreSQL database (the flag only: `DATABASE_URL` is not
//!    read, so a shell that exports it for other tools does not move miniperm's store);
//! 3. `--db PATH`;
//! 4. the `MINIPERM_DB` environment variable (ignored when empty);
//! 5. `consent.sqlite` in the user's data directory (`$XDG_DATA_HOME/miniperm` or
//!    `~/.local/share/miniperm` on Linux, `~/Library/Application Support/miniperm` on macOS).

use std::path::{Path, PathBuf};

use miniperm_store::{ConsentStore, MemoryStore, PgStore, SqliteStore, StoreError, Target};

use crate::error::CliError;

/// The environment variable naming the default store.
pub const ENV_DB: &str = "MINIPERM_DB";
/// The file name of the default store inside the data directory.
pub const DEFAULT_FILE: &str = "consent.sqlite";

/// A consent store of either kind.
pub type Store = Box<dyn ConsentStore + Send>;

/// The store flags. Flatten into a subcommand's arguments.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DbArgs {
    /// The consent store, an SQLite file [default: $MINIPERM_DB, else consent.sqlite in the
    /// user's data directory]
    #[arg(long, value_name = "PATH", global = true, conflicts_with = "ephemeral")]
    pub db: Option<PathBuf>,
    /// Keep the consent store in memory for this command only: nothing is read or written on disk
    #[arg(long, global = true)]
    pub ephemeral: bool,
    /// The consent store in PostgreSQL instead of an SQLite file: `postgres://USER@HOST/DB`
    #[arg(
        long,
        value_name = "URL",
        global = true,
        conflicts_with_all = ["db", "ephemeral"]
    )]
    pub database_url: Option<String>,
}

/// Where the store lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Ephemeral,
    /// A PostgreSQL URL (shown without its password).
    Postgres(String),
}

impl Location {
    /// The durable store this names (`None` for `--ephemeral`).
    pub fn target(&self) -> Option<Target> {
        match self {
            Location::File(p) => Some(Target::Sqlite(p.clone())),
            Location::Postgres(u) => Some(Target::Postgres(u.clone())),
            Location::Ephemeral => None,
        }
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File(p) => write!(f, "{}", p.display()),
            Location::Ephemeral => f.write_str("(in memory)"),
            Location::Postgres(u) => f.write_str(&miniperm_store::redact_url(u)),
        }
    }
}

/// What the caller will do with the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Only reads: a missing file is read as an empty store and is not created.
    Read,
    /// Writes: a missing file and its parent folders are created.
    Write,
}

impl DbArgs {
    /// Resolves the location from the flags, then `MINIPERM_DB`, then the data directory.
    pub fn location(&self) -> Result<Location, CliError> {
        let env = std::env::var_os(ENV_DB).filter(|v| !v.is_empty());
        resolve(self, env.map(PathBuf::from), default_path)
    }

    /// Opens the store for `access`.
    pub fn open(&self, access: Access) -> Result<(Location, Store), CliError> {
        let loc = self.location()?;
        let store = open_at(&loc, access)?;
        Ok((loc, store))
    }
}

fn default_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "miniperm").map(|d| d.data_dir().join(DEFAULT_FILE))
}

fn resolve(
    args: &DbArgs,
    env: Option<PathBuf>,
    default: impl FnOnce() -> Option<PathBuf>,
) -> Result<Location, CliError> {
    if args.ephemeral {
        return Ok(Location::Ephemeral);
    }
    if let Some(u) = &args.database_url {
        return Ok(Location::Postgres(u.clone()));
    }
    if let Some(p) = args.db.clone().or(env) {
        return Ok(Location::File(p));
    }
    default().map(Location::File).ok_or(CliError::NoDataDir)
}

/// A store opened for reading at first and for writing only when the first write comes: a run
/// that fails on bad input before it writes (exit 2) creates no file and no folder.
pub struct LazyStore {
    loc: Location,
    read: Option<Store>,
    write: Option<Store>,
}

impl LazyStore {
    pub fn new(loc: Location) -> LazyStore {
        LazyStore {
            loc,
            read: None,
            write: None,
        }
    }

    /// The store to read from: the written one once there is one.
    fn reader(&mut self) -> Result<&mut Store, StoreError> {
        if self.write.is_none() && self.read.is_none() {
            self.read = Some(open_at(&self.loc, Access::Read).map_err(store_error)?);
        }
        match (&mut self.write, &mut self.read) {
            (Some(w), _) => Ok(w),
            (None, Some(r)) => Ok(r),
            (None, None) => Err(StoreError::Io {
                path: PathBuf::from(self.loc.to_string()),
                source: std::io::Error::other("the store could not be opened"),
            }),
        }
    }

    fn writer(&mut self) -> Result<&mut Store, StoreError> {
        if self.write.is_none() {
            self.write = Some(open_at(&self.loc, Access::Write).map_err(store_error)?);
            self.read = None;
        }
        match &mut self.write {
            Some(w) => Ok(w),
            None => Err(StoreError::Io {
                path: PathBuf::from(self.loc.to_string()),
                source: std::io::Error::other("the store could not be opened"),
            }),
        }
    }
}

fn store_error(e: CliError) -> StoreError {
    match e {
        CliError::Store(s) => s,
        other => StoreError::Io {
            path: PathBuf::new(),
            source: std::io::Error::other(other.to_string()),
        },
    }
}

impl ConsentStore for LazyStore {
    fn append(
        &mut self,
        events: Vec<miniperm_core::ConsentEvent>,
    ) -> Result<Vec<miniperm_core::ConsentEvent>, StoreError> {
        if events.is_empty() {
            return Ok(events);
        }
        self.writer()?.append(events)
    }

    fn state(&mut self, user: &str, app: &str) -> Result<miniperm_core::AppState, StoreError> {
        self.reader()?.state(user, app)
    }

    fn log(
        &mut self,
        user: &str,
        app: &str,
    ) -> Result<Vec<miniperm_core::ConsentEvent>, StoreError> {
        self.reader()?.log(user, app)
    }

    fn update(
        &mut self,
        user: &str,
        app: &str,
        changes: &mut dyn FnMut(&miniperm_core::AppState) -> Vec<miniperm_core::ConsentEvent>,
    ) -> Result<(miniperm_core::AppState, Vec<miniperm_core::ConsentEvent>), StoreError> {
        self.writer()?.update(user, app, changes)
    }

    fn append_batches(
        &mut self,
        batches: Vec<Vec<miniperm_core::ConsentEvent>>,
    ) -> Result<Vec<Vec<miniperm_core::ConsentEvent>>, StoreError> {
        self.writer()?.append_batches(batches)
    }
}

/// Opens the store at `loc`.
pub fn open_at(loc: &Location, access: Access) -> Result<Store, CliError> {
    match loc {
        Location::Ephemeral => Ok(Box::new(MemoryStore::new())),
        Location::Postgres(url) => Ok(Box::new(PgStore::open(url)?)),
        Location::File(path) => {
            if access == Access::Read && !exists(path) {
                return Ok(Box::new(MemoryStore::new()));
            }
            if access == Access::Write {
                create_parent(path)?;
            }
            Ok(Box::new(SqliteStore::open(path)?))
        }
    }
}

/// True when something (even a broken link) is at `path`.
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

fn create_parent(path: &Path) -> Result<(), StoreError> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence() {
        let none = || None;
        let flags = DbArgs {
            db: Some("a.db".into()),
            ..DbArgs::default()
        };
        assert_eq!(
            resolve(&flags, Some("env.db".into()), none).unwrap(),
            Location::File("a.db".into())
        );
        assert_eq!(
            resolve(&DbArgs::default(), Some("env.db".into()), none).unwrap(),
            Location::File("env.db".into())
        );
        assert_eq!(
            resolve(&DbArgs::default(), None, || Some("home.db".into())).unwrap(),
            Location::File("home.db".into())
        );
        assert!(matches!(
            resolve(&DbArgs::default(), None, none),
            Err(CliError::NoDataDir)
        ));
        let eph = DbArgs {
            ephemeral: true,
            ..DbArgs::default()
        };
        let pg = DbArgs {
            database_url: Some("postgres://u:pw@h/db".into()),
            ..DbArgs::default()
        };
        let loc = resolve(&pg, Some("env.db".into()), none).unwrap();
        assert_eq!(loc, Location::Postgres("postgres://u:pw@h/db".into()));
        assert_eq!(loc.to_string(), "postgres://u@h/db");
        assert_eq!(
            resolve(&eph, Some("env.db".into()), none).unwrap(),
            Location::Ephemeral
        );
    }

    #[test]
    fn a_lazy_store_creates_its_file_at_the_first_write_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/dir/c.db");
        let mut s = LazyStore::new(Location::File(path.clone()));
        assert_eq!(
            s.state("u", "a").unwrap(),
            miniperm_core::AppState::default()
        );
        assert!(s.append(Vec::new()).unwrap().is_empty());
        assert!(!dir.path().join("new").exists(), "reads create nothing");
        let meta = miniperm_core::EventMeta {
            at: 1,
            user: "u".into(),
            app: "a".into(),
            channel: miniperm_core::Channel::Develop,
            profile: "wechat".into(),
        };
        let ev = miniperm_core::ConsentEvent::new(
            &meta,
            miniperm_core::Change {
                subject: miniperm_core::Subject::Scope(miniperm_core::Scope::UserLocation),
                from: miniperm_core::Value::Unset,
                to: miniperm_core::Value::Granted,
                via: miniperm_core::Via::Host,
                gesture: false,
                api: None,
                notice: None,
            },
        );
        s.append(vec![ev]).unwrap();
        assert!(path.exists());
        assert_eq!(s.log("u", "a").unwrap().len(), 1);
    }

    #[test]
    fn reading_a_missing_file_creates_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/consent.sqlite");
        let mut s = open_at(&Location::File(path.clone()), Access::Read).unwrap();
        assert!(s.log("u", "a").unwrap().is_empty());
        assert!(!dir.path().join("sub").exists());
        open_at(&Location::File(path.clone()), Access::Write).unwrap();
        assert!(path.exists());
    }
}
