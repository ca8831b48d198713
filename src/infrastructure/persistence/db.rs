use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, Statement, TransactionTrait,
};

/// Read connections beside SQLite's one writer.
const SQLITE_READERS: u32 = 4;

/// Rows a SQLite connection's thread may hand over before the reading task takes them. With
/// sqlx's 50, every row past the 50th of a page or member list cost the two threads a switch.
const SQLITE_ROW_BUFFER: usize = 1024;

/// The database as repositories see it. On SQLite, reads (statements that begin with `SELECT`)
/// go to a pool of read connections beside the single writer, so they never queue behind
/// writes (WAL lets them run beside it, each seeing every commit made before it starts); all
/// else, and every transaction, goes to the writer. On PostgreSQL both are the same pool.
#[derive(Clone)]
pub struct Db {
    write: DatabaseConnection,
    read: DatabaseConnection,
    one_pool: bool,
}

impl Db {
    /// One pool for everything.
    pub fn single(db: DatabaseConnection) -> Self {
        Self {
            read: db.clone(),
            write: db,
            one_pool: true,
        }
    }

    pub fn writer(&self) -> &DatabaseConnection {
        &self.write
    }

    /// The embedded database: one instance serves it, so every write is this process's.
    pub fn is_embedded(&self) -> bool {
        self.write.get_database_backend() == DbBackend::Sqlite
    }

    pub async fn begin(&self) -> Result<DatabaseTransaction, DbErr> {
        self.write.begin().await
    }

    fn route(&self, statement: &Statement) -> &DatabaseConnection {
        if is_read(&statement.sql) {
            &self.read
        } else {
            &self.write
        }
    }
}

fn is_read(sql: &str) -> bool {
    sql.trim_start()
        .get(..6)
        .is_some_and(|head| head.eq_ignore_ascii_case("select"))
}

#[async_trait]
impl ConnectionTrait for Db {
    fn get_database_backend(&self) -> DbBackend {
        self.write.get_database_backend()
    }

    async fn execute_raw(&self, statement: Statement) -> Result<ExecResult, DbErr> {
        self.write.execute_raw(statement).await
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        self.write.execute_unprepared(sql).await
    }

    async fn query_one_raw(&self, statement: Statement) -> Result<Option<QueryResult>, DbErr> {
        self.route(&statement).query_one_raw(statement).await
    }

    async fn query_all_raw(&self, statement: Statement) -> Result<Vec<QueryResult>, DbErr> {
        self.route(&statement).query_all_raw(statement).await
    }

    fn support_returning(&self) -> bool {
        self.write.support_returning()
    }
}

/// A pooled SQLite connection is checked only after this long unused: checking on every
/// checkout cost one more hand-off to its thread per statement.
const PING_IF_IDLE: Duration = Duration::from_secs(30);

/// Opens the database for serving: the writer of `connect`, and on a SQLite file a pool of
/// read connections beside it.
pub async fn connect_for_serving(
    url: &str,
    max_connections: u32,
    full_sync: bool,
) -> anyhow::Result<Db> {
    let write = connect(url, max_connections, full_sync).await?;
    if write.get_database_backend() != DbBackend::Sqlite || url.contains(":memory:") {
        return Ok(Db::single(write));
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(SQLITE_READERS)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire_if_idle_for(PING_IF_IDLE)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(sqlite_connection);
    let mut read = Database::connect(options)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(url)))?;
    observe(&mut read);
    Ok(Db {
        write,
        read,
        one_pool: false,
    })
}

/// Opens the database named by `url`, creating a SQLite file (and its folder) when needed.
/// `full_sync`: SQLite waits for the disk on every commit (see `database.sqlite_synchronous`).
pub async fn connect(
    url: &str,
    max_connections: u32,
    full_sync: bool,
) -> anyhow::Result<DatabaseConnection> {
    let sqlite = url.starts_with("sqlite:");
    if sqlite {
        create_sqlite_folder(url)?;
        super::sqlite_setup::configure();
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        // SQLite takes one writer at a time; a single connection avoids SQLITE_BUSY on
        // transaction upgrades and keeps writes in commit order.
        .max_connections(if sqlite { 1 } else { max_connections })
        .min_connections(if sqlite { 1 } else { 2.min(max_connections) })
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // JIT compilation costs more than it saves on short OLTP queries (about 15 ms on the
        // chat list); PostgreSQL turns it on by cost estimate alone.
        .map_sqlx_postgres_opts(|options| options.options([("jit", "off")]))
        .map_sqlx_sqlite_opts(move |options| {
            use sea_orm::sqlx::sqlite::SqliteSynchronous;
            sqlite_connection(options).synchronous(if full_sync {
                SqliteSynchronous::Full
            } else {
                SqliteSynchronous::Normal
            })
        });
    if sqlite {
        // Not on PostgreSQL: a connection opened on an HTTP worker's runtime breaks when that
        // worker stops, and the check on checkout is what replaces it during a shutdown.
        options.test_before_acquire_if_idle_for(PING_IF_IDLE);
    }
    let mut db = Database::connect(options)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(url)))?;
    observe(&mut db);
    if db.get_database_backend() == DbBackend::Sqlite {
        // WAL lets readers run beside the writer; it is a property of the file, set once.
        db.execute_unprepared("PRAGMA journal_mode = WAL;").await?;
        db.execute_unprepared("PRAGMA foreign_keys = ON;").await?;
    }
    Ok(db)
}

/// What the writer and the read connections share.
fn sqlite_connection(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        // Statement journals of savepoints in memory, not a file made per statement.
        .pragma("temp_store", "memory")
        .row_buffer_size(SQLITE_ROW_BUFFER)
}

/// Times every statement, by its first word (`select`, `insert`, …), and counts failures.
fn observe(db: &mut DatabaseConnection) {
    db.set_metric_callback(|info| {
        let kind = statement_kind(&info.statement.sql);
        crate::telemetry::statements::record();
        metrics::histogram!("db_statement_duration_seconds", "kind" => kind)
            .record(info.elapsed.as_secs_f64());
        if info.failed {
            metrics::counter!("db_statement_errors_total", "kind" => kind).increment(1);
        }
    });
}

fn statement_kind(sql: &str) -> &'static str {
    let word = sql.split_whitespace().next().unwrap_or_default();
    [
        "select", "insert", "update", "delete", "with", "begin", "commit", "rollback",
    ]
    .into_iter()
    .find(|k| word.eq_ignore_ascii_case(k))
    .unwrap_or("other")
}

impl Db {
    /// Publishes how many pooled connections are in use and idle, every `every`.
    pub async fn report_pools(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let pools = if self.one_pool {
                vec![("main", &self.write)]
            } else {
                vec![("write", &self.write), ("read", &self.read)]
            };
            for (name, db) in pools {
                let (size, idle) = match db.get_database_backend() {
                    DbBackend::Sqlite => {
                        let pool = db.get_sqlite_connection_pool();
                        (pool.size(), pool.num_idle())
                    }
                    DbBackend::Postgres => {
                        let pool = db.get_postgres_connection_pool();
                        (pool.size(), pool.num_idle())
                    }
                    _ => continue,
                };
                let idle = idle as f64;
                metrics::gauge!("db_pool_connections", "pool" => name, "state" => "idle").set(idle);
                metrics::gauge!("db_pool_connections", "pool" => name, "state" => "busy")
                    .set((f64::from(size) - idle).max(0.0));
            }
        }
    }
}

pub async fn migrate_up(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None).await.context("migrations failed")
}

pub async fn migrate_down(db: &DatabaseConnection, steps: u32) -> anyhow::Result<()> {
    Migrator::down(db, Some(steps))
        .await
        .context("rolling back failed")
}

/// `(name, applied)` for every known migration, oldest first.
pub async fn migration_status(db: &DatabaseConnection) -> anyhow::Result<Vec<(String, bool)>> {
    let applied: Vec<String> = Migrator::get_applied_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .map(|m| {
            let name = m.name().to_owned();
            let done = applied.contains(&name);
            (name, done)
        })
        .collect())
}

fn create_sqlite_folder(url: &str) -> anyhow::Result<()> {
    let path = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &url[..scheme], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::c_int;

    use super::{is_read, redact};

    #[test]
    fn only_selects_are_reads() {
        assert!(is_read("  SELECT 1"));
        assert!(is_read("select * from t"));
        assert!(!is_read("UPDATE t SET a = 1 RETURNING a"));
        assert!(!is_read("INSERT INTO t VALUES (1) RETURNING id"));
        assert!(!is_read("sel"));
    }

    /// Every connection, the writer's and the readers', plans each statement once.
    #[tokio::test]
    async fn sqlite_connections_keep_their_plans() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("plans.db").display()
        );
        let db = super::connect_for_serving(&url, 4, false).await.unwrap();
        for pool in [&db.write, &db.read] {
            let mut connection = pool.get_sqlite_connection_pool().acquire().await.unwrap();
            let mut handle = connection.lock_handle().await.unwrap();
            let mut enabled: c_int = -1;
            // SAFETY: the handle is locked for this call; -1 reads the option into `enabled`.
            unsafe {
                libsqlite3_sys::sqlite3_db_config(
                    handle.as_raw_handle().as_ptr().cast(),
                    libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
                    -1 as c_int,
                    &mut enabled as *mut c_int,
                );
            }
            assert_eq!(enabled, 1);
        }
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(
            redact("sqlite://./data/chat.db?mode=rwc"),
            "sqlite://./data/chat.db?mode=rwc"
        );
    }
}
