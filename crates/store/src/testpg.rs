//! A throwaway PostgreSQL for tests (this crate's, the service's and the CLI's).
//!
//! [`fresh_url`] hands each test its own empty schema in one server:
//! * the server at `DATABASE_URL` when set (`.ci/postgres.sh` starts one and exports it);
//! * else a cluster this process starts once, in a temp folder (`initdb` as `nobody` when run as
//!   root, a free loopback port, the unix socket in the same folder, `fsync=off`), stopped and
//!   deleted by a watchdog when the test process ends;
//! * else `None`, after printing why: the caller skips its PostgreSQL half. With
//!   `MINIPERM_REQUIRE_PG=1` (set by CI) a missing server fails the test instead.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// The URL of an existing server to test against.
pub const ENV_URL: &str = "DATABASE_URL";
/// When set (to anything but empty or `0`), no server is a failure, not a skip.
pub const ENV_REQUIRE: &str = "MINIPERM_REQUIRE_PG";

static SERVER: OnceLock<Result<String, String>> = OnceLock::new();
static NEXT: AtomicU64 = AtomicU64::new(0);
static SKIP_SHOWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The test server's URL (starting a cluster on first use), or why there is none.
pub fn server_url() -> Result<String, String> {
    SERVER
        .get_or_init(|| match std::env::var(ENV_URL) {
            Ok(u) if !u.is_empty() => Ok(u),
            _ => start_cluster(),
        })
        .clone()
}

/// A URL whose connections see a new, empty schema of the test server, or `None` (printed)
/// when no server can be started. Panics instead when [`ENV_REQUIRE`] is set.
pub fn fresh_url(test: &str) -> Option<String> {
    let required = std::env::var(ENV_REQUIRE).is_ok_and(|v| !v.is_empty() && v != "0");
    let fail = |why: String| -> Option<String> {
        if required {
            #[allow(clippy::panic)]
            {
                panic!("{test}: no PostgreSQL server and {ENV_REQUIRE} is set: {why}");
            }
        }
        // Straight to stderr, past the test harness's capture, once per process.
        if !SKIP_SHOWN.swap(true, Ordering::SeqCst) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED the PostgreSQL half of {test} (and of every other test in this binary): {why} (set {ENV_URL} or install postgresql)"
            );
        }
        None
    };
    let base = match server_url() {
        Ok(u) => u,
        Err(why) => return fail(why),
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "t{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    if let Err(e) = crate::create_schema(&base, &name) {
        return fail(e.to_string());
    }
    Some(with_search_path(&base, &name))
}

/// `url` with `options=-c search_path=SCHEMA` added.
pub fn with_search_path(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}

/// The folder holding `initdb`, `pg_ctl` and `postgres`: the newest
/// `/usr/lib/postgresql/*/bin`, else the folder `pg_ctl` on PATH links to.
pub fn bin_dir() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("pg_ctl").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    if let Some((_, bin)) = found.pop() {
        return Some(bin);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join("pg_ctl"))
        .find(|p| p.is_file())
        .and_then(|p| std::fs::canonicalize(p).ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .filter(|d| d.join("initdb").is_file() && d.join("postgres").is_file())
}

fn is_root() -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// A command, run as `nobody` when we are root (initdb and postgres refuse root).
fn as_server_user(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "nobody", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {what}: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Err(format!(
        "{what} failed ({}): {}",
        out.status,
        err.lines().last().unwrap_or("")
    ))
}

/// A free TCP port on loopback (free when asked; the server takes it right after).
pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// A cluster started by this process: its folder, its data folder and its port.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub dir: PathBuf,
    pub data: PathBuf,
    pub port: u16,
    pub bin: PathBuf,
    pub root: bool,
}

impl Cluster {
    /// `initdb` in a new temp folder (not started). `fsync` off or on.
    pub fn init(fsync: bool) -> Result<Cluster, String> {
        let bin = bin_dir().ok_or("no PostgreSQL binaries (initdb, pg_ctl) found")?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!(
            "miniperm-pg-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let root = is_root();
        if root {
            let mut c = Command::new("chown");
            c.arg("nobody:nogroup").arg(&dir);
            run(c, "chown")?;
        }
        let data = dir.join("data");
        let mut c = as_server_user(root, &bin.join("initdb"));
        c.arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C"])
            .current_dir(&dir);
        if !fsync {
            c.arg("--no-sync");
        }
        run(c, "initdb")?;
        let cluster = Cluster {
            dir,
            data,
            port: free_port()?,
            bin,
            root,
        };
        let conf = format!(
            "listen_addresses = '127.0.0.1'\nport = {}\nunix_socket_directories = '{}'\nfsync = {}\nmax_connections = 200\n",
            cluster.port,
            cluster.dir.display(),
            if fsync { "on" } else { "off" }
        );
        let auto = cluster.data.join("postgresql.auto.conf");
        let mut old = std::fs::read_to_string(&auto).unwrap_or_default();
        old.push_str(&conf);
        std::fs::write(&auto, old).map_err(|e| format!("cannot write {}: {e}", auto.display()))?;
        Ok(cluster)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let mut c = as_server_user(self.root, &self.bin.join("pg_ctl"));
        c.arg("-D")
            .arg(&self.data)
            .arg("-l")
            .arg(self.dir.join("server.log"))
            .args(args)
            .current_dir(&self.dir);
        run(c, &format!("pg_ctl {}", args.join(" ")))
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start(&self) -> Result<(), String> {
        self.pg_ctl(&["-w", "-t", "60", "start"])
    }

    /// Stops the server (`fast`: disconnects clients, clean shutdown; `immediate`: a crash).
    pub fn stop(&self, mode: &str) -> Result<(), String> {
        self.pg_ctl(&["-w", "-m", mode, "stop"])
    }

    /// Makes the server stop and the folder go away when this process ends (a small shell
    /// watchdog; the test harness has no end-of-run hook).
    pub fn stop_when_this_process_ends(&self) -> Result<(), String> {
        let pg_ctl = self.bin.join("pg_ctl");
        let prefix = if self.root {
            "runuser -u nobody -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {prefix}'{ctl}' -D '{data}' -m immediate -w stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            ctl = pg_ctl.display(),
            data = self.data.display(),
            dir = self.dir.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map(drop)
            .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))
    }
}

fn start_cluster() -> Result<String, String> {
    let c = Cluster::init(false)?;
    c.stop_when_this_process_ends()?;
    c.start()?;
    Ok(c.url())
}
