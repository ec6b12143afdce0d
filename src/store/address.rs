//! What an outage message says: where the database is (host and port, a socket or a file,
//! never the URL, so never its credentials) and, in a few words, why it cannot be reached.

use std::sync::Arc;

use super::Database;
use super::sqlx;

/// Where `database` is: `127.0.0.1:5432`, `[::1]:3306`, `unix socket /run/postgresql`,
/// `sqlite file app.db`. Built from the pool's connect options, so a pool the application
/// built is described as well as one from a URL.
pub(crate) fn of(database: &Database) -> Arc<str> {
    let text = match database {
        #[cfg(feature = "sqlite")]
        Database::Sqlite(pool) => {
            format!(
                "sqlite file {}",
                pool.connect_options().get_filename().display()
            )
        }
        #[cfg(feature = "postgres")]
        Database::Postgres(pool) => {
            let options = pool.connect_options();
            server(options.get_socket(), options.get_host(), options.get_port())
        }
        #[cfg(feature = "mysql")]
        Database::MySql(pool) => {
            let options = pool.connect_options();
            server(options.get_socket(), options.get_host(), options.get_port())
        }
    };
    text.into()
}

#[cfg(any(feature = "postgres", feature = "mysql"))]
fn server(socket: Option<&std::path::PathBuf>, host: &str, port: u16) -> String {
    match socket {
        Some(path) => format!("unix socket {}", path.display()),
        None if host.contains(':') && !host.starts_with('[') => format!("[{host}]:{port}"),
        None => format!("{host}:{port}"),
    }
}

/// The driver's error in a few words, for "... at 127.0.0.1:5432": `connection refused`
/// rather than sqlx's `error communicating with database: Connection refused (os error 111)`.
pub(crate) fn describe(err: &sqlx::Error) -> String {
    use std::io::ErrorKind;
    match err {
        sqlx::Error::Io(io) => match io.kind() {
            ErrorKind::ConnectionRefused => "connection refused".to_owned(),
            ErrorKind::ConnectionReset => "connection reset by the server".to_owned(),
            ErrorKind::ConnectionAborted => "connection aborted".to_owned(),
            ErrorKind::UnexpectedEof => "connection closed by the server".to_owned(),
            ErrorKind::BrokenPipe => "connection lost (broken pipe)".to_owned(),
            ErrorKind::NotFound => format!("not found ({io})"),
            ErrorKind::PermissionDenied => format!("permission denied ({io})"),
            _ => io.to_string(),
        },
        sqlx::Error::PoolTimedOut => {
            "no pooled connection within the acquire timeout (pool timed out)".to_owned()
        }
        sqlx::Error::PoolClosed => "the connection pool was closed".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_named_plainly() {
        let err = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(describe(&err), "connection refused");
    }

    #[cfg(any(feature = "postgres", feature = "mysql"))]
    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(server(None, "::1", 5432), "[::1]:5432");
        assert_eq!(server(None, "db.internal", 3306), "db.internal:3306");
    }
}
