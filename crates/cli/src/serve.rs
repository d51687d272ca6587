//! `miniperm serve` (the consent service, crate miniperm-server) and `miniperm keys` (its API
//! keys, kept hashed in the same store).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use miniperm_store::{Backend, Target, now_ms};

use crate::db::{Access, DbArgs, Location};
use crate::entry::non_empty;
use crate::error::CliError;
use crate::help;

/// Run the consent service: the /v1 HTTP API for host apps
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::SERVE)]
pub struct ServeArgs {
    /// The address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:7878")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub db: DbArgs,
    /// A folder whose child folders are mini-program projects: the simulator at `/` offers them
    /// beside the bundled examples (repeatable; children that do not load are skipped)
    #[arg(long, value_name = "DIR")]
    pub projects: Vec<PathBuf>,
    /// Requests per second allowed per API key (429 past it)
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub rate_limit: u32,
    /// Commit every decision in its own transaction (the benchmark baseline; slower)
    #[arg(long, hide = true)]
    pub single_commit: bool,
}

/// Manage the service's API keys (stored hashed; a key is shown once)
#[derive(clap::Args, Debug, Clone)]
#[command(after_help = help::KEYS)]
pub struct KeysArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(subcommand)]
    pub action: KeysAction,
}

#[derive(clap::Subcommand, Debug, Clone)]
pub enum KeysAction {
    /// Create a key for TENANT; the key is printed once, alone on the last line
    Create {
        #[arg(value_parser = non_empty)]
        tenant: String,
    },
    /// List keys (ids, tenants, times; never the secrets)
    List,
    /// Revoke the key with this id
    Revoke {
        #[arg(value_parser = non_empty)]
        id: String,
    },
}

/// The durable store of `db` (an SQLite file or PostgreSQL), where it is, and how it is shown.
fn durable_store(
    db: &DbArgs,
    access: Access,
) -> Result<(Location, Target, Box<dyn Backend>), CliError> {
    let loc = db.location()?;
    let Some(target) = loc.target() else {
        return Err(CliError::Usage(
            "`--ephemeral` does not fit here: the service and its keys need a database".into(),
        ));
    };
    if let Location::File(p) = &loc {
        // Creates the parent folder like every writing command.
        drop(crate::db::open_at(&Location::File(p.clone()), access)?);
    }
    let s = miniperm_store::open_backend(&target)?;
    Ok((loc, target, s))
}

pub fn keys(args: KeysArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let (path, _, mut store) = durable_store(&args.db, Access::Write)?;
    match args.action {
        KeysAction::Create { tenant } => {
            let (row, secret) = miniperm_server::keys::create_key(&mut *store, &tenant, now_ms())
                .map_err(|e| match e {
                miniperm_server::keys::KeyError::Store(s) => CliError::Store(s),
                e => CliError::Usage(e.to_string()),
            })?;
            writeln!(
                out,
                "created key {} for tenant {} in {} (shown once, keep it):",
                row.id, row.tenant, path
            )?;
            writeln!(out, "{secret}")?;
        }
        KeysAction::List => {
            let keys = store.keys()?;
            if keys.is_empty() {
                writeln!(out, "no keys in {path}")?;
            }
            let rows: Vec<Vec<String>> = keys
                .iter()
                .map(|k| {
                    let state = match k.revoked {
                        Some(at) => format!("revoked {}", crate::output::format_ms(at)),
                        None => "active".to_string(),
                    };
                    vec![
                        k.id.clone(),
                        k.tenant.clone(),
                        format!("created {}", crate::output::format_ms(k.created)),
                        state,
                    ]
                })
                .collect();
            crate::output::table(out, &rows)?;
        }
        KeysAction::Revoke { id } => {
            if !store.revoke_key(&id, now_ms())? {
                return Err(CliError::Usage(format!("no active key `{id}`")));
            }
            writeln!(out, "revoked key {id}")?;
        }
    }
    Ok(())
}

pub fn serve(args: ServeArgs, out: &mut dyn Write) -> Result<(), CliError> {
    for p in &args.projects {
        if !p.is_dir() {
            return Err(CliError::Usage(format!(
                "`{}` is not a folder of projects",
                p.display()
            )));
        }
    }
    let (path, target, mut store) = durable_store(&args.db, Access::Write)?;
    let open = miniperm_server::is_open(&args.listen, &mut *store).map_err(serve_err)?;
    drop(store);
    if let Ok(level) = std::env::var("MINIPERM_LOG")
        && let Ok(level) = level.parse::<tracing_subscriber::filter::LevelFilter>()
    {
        // To stderr: `main` holds stdout's lock for the whole run, so a tracing line written
        // to stdout from another thread would wait for it forever.
        tracing_subscriber::fmt()
            .with_max_level(level)
            .with_writer(std::io::stderr)
            .init();
    }
    let mut cfg = miniperm_server::Config::new(
        args.listen,
        match &target {
            Target::Sqlite(p) => p.clone(),
            Target::Postgres(_) => PathBuf::new(),
        },
    );
    if let Target::Postgres(u) = &target {
        cfg.database_url = Some(u.clone());
    }
    cfg.rate_limit = args.rate_limit;
    cfg.single_commit = args.single_commit;
    cfg.projects = sim_project_dirs(&args.projects);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(CliError::Output)?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| CliError::Usage(format!("cannot listen on `{}`: {e}", args.listen)))?;
        let addr = listener.local_addr().map_err(CliError::Output)?;
        writeln!(
            out,
            "miniperm serve: http://{addr}/v1 · simulator http://{addr}/ ({} projects) · store {}",
            cfg.projects.len(),
            path
        )?;
        if open {
            writeln!(
                out,
                "no API key needed: loopback address and no key created (`miniperm keys create TENANT` turns keys on)"
            )?;
        } else {
            writeln!(out, "every /v1 request needs `Authorization: Bearer KEY`")?;
        }
        out.flush()?;
        miniperm_server::serve(listener, &cfg, miniperm_server::shutdown_signal())
            .await
            .map_err(serve_err)
    })?;
    writeln!(out, "miniperm serve: stopped")?;
    Ok(())
}

/// Whether `dir` has a child folder with an app.json.
fn has_project(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).is_ok_and(|entries| {
        entries
            .filter_map(Result::ok)
            .any(|e| e.path().join("app.json").is_file())
    })
}

/// The simulator's project folders: the bundled `examples/*` (found in the current folder or
/// above the binary), then every child folder of each `--projects DIR`; only folders with an
/// app.json, each once.
fn sim_project_dirs(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots = Vec::new();
    let cwd_examples = PathBuf::from("examples");
    if cwd_examples.is_dir() {
        roots.push(cwd_examples);
    } else if let Ok(exe) = std::env::current_exe()
        && let Some(found) = exe
            .ancestors()
            .skip(1)
            .map(|a| a.join("examples"))
            // Not cargo's own `target/*/examples` (compiled examples): a folder of projects.
            .find(|p| has_project(p))
    {
        roots.push(found);
    }
    roots.extend(extra.iter().cloned());
    let mut out: Vec<PathBuf> = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(&root) else {
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.join("app.json").is_file())
            .collect();
        children.sort();
        for c in children {
            let key = c.canonicalize().unwrap_or_else(|_| c.clone());
            if !out
                .iter()
                .any(|o| o.canonicalize().unwrap_or_else(|_| o.clone()) == key)
            {
                out.push(c);
            }
        }
    }
    out
}

fn serve_err(e: miniperm_server::ApiError) -> CliError {
    match e {
        miniperm_server::ApiError::Store(s) => CliError::Store(s),
        e => CliError::Usage(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_folder_of_compiled_examples_is_not_a_folder_of_projects() {
        let dir = tempfile::tempdir().unwrap();
        let compiled = dir.path().join("target/release/examples");
        std::fs::create_dir_all(&compiled).unwrap();
        std::fs::write(compiled.join("hello"), b"").unwrap();
        assert!(!has_project(&compiled));
        let projects = dir.path().join("examples/classic");
        std::fs::create_dir_all(&projects).unwrap();
        std::fs::write(projects.join("app.json"), b"{}").unwrap();
        assert!(has_project(&dir.path().join("examples")));
    }
}
