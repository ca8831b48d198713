//! Process-wide SQLite settings, made once before the first connection opens.

use std::ffi::{c_char, c_int, c_void};

/// Process-wide SQLite settings, made once before the first connection.
pub(super) fn configure() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // Both before anything initialises the library (registering an extension does).
        without_memory_statistics();
        with_rust_allocator();
        // SAFETY: registers a function with the signature SQLite calls it with.
        let registered = unsafe { libsqlite3_sys::sqlite3_auto_extension(Some(stable_plans)) };
        if registered != libsqlite3_sys::SQLITE_OK {
            tracing::warn!(
                code = registered,
                "SQLite statements will be planned on every run"
            );
        }
    });
}

/// SQLite counts every allocation it makes under one process-wide mutex, for statistics
/// nothing here reads; its threads then take that mutex for each value of each row. Turned
/// off before the first connection initialises the library (later it is refused, harmlessly).
fn without_memory_statistics() {
    // SAFETY: a valid option with its documented int argument; before initialisation the
    // call only records it, and afterwards SQLite returns SQLITE_MISUSE without effect.
    unsafe {
        libsqlite3_sys::sqlite3_config(libsqlite3_sys::SQLITE_CONFIG_MEMSTATUS, 0 as c_int);
    }
}

/// SQLite's own allocations (statements, pages, every value it copies) go to the allocator
/// the rest of the server uses instead of glibc's, which spent about a sixth of the CPU of a
/// send burst. Refused (harmlessly) once the library is initialised.
fn with_rust_allocator() {
    use libmimalloc_sys as mi;

    unsafe extern "C" fn malloc(size: c_int) -> *mut c_void {
        // SAFETY: any size is valid; SQLite never asks for a negative one.
        unsafe { mi::mi_malloc(size.max(0) as usize) }
    }
    unsafe extern "C" fn free(pointer: *mut c_void) {
        // SAFETY: SQLite frees only what `malloc`/`realloc` above gave it.
        unsafe { mi::mi_free(pointer) }
    }
    unsafe extern "C" fn realloc(pointer: *mut c_void, size: c_int) -> *mut c_void {
        // SAFETY: as `free`.
        unsafe { mi::mi_realloc(pointer, size.max(0) as usize) }
    }
    unsafe extern "C" fn size(pointer: *mut c_void) -> c_int {
        // SAFETY: as `free`.
        let usable = unsafe { mi::mi_usable_size(pointer) };
        c_int::try_from(usable).unwrap_or(c_int::MAX)
    }
    unsafe extern "C" fn roundup(size: c_int) -> c_int {
        // SAFETY: a pure function of its argument.
        let good = unsafe { mi::mi_good_size(size.max(0) as usize) };
        c_int::try_from(good).unwrap_or(size)
    }
    unsafe extern "C" fn init(_: *mut c_void) -> c_int {
        libsqlite3_sys::SQLITE_OK
    }
    unsafe extern "C" fn shutdown(_: *mut c_void) {}

    let methods = libsqlite3_sys::sqlite3_mem_methods {
        xMalloc: Some(malloc),
        xFree: Some(free),
        xRealloc: Some(realloc),
        xSize: Some(size),
        xRoundup: Some(roundup),
        xInit: Some(init),
        xShutdown: Some(shutdown),
        pAppData: std::ptr::null_mut(),
    };
    // SAFETY: SQLite copies the methods before returning; before initialisation nothing was
    // allocated with another allocator, and afterwards the call is refused without effect.
    let set = unsafe {
        libsqlite3_sys::sqlite3_config(
            libsqlite3_sys::SQLITE_CONFIG_MALLOC,
            &methods as *const libsqlite3_sys::sqlite3_mem_methods,
        )
    };
    if set != libsqlite3_sys::SQLITE_OK {
        tracing::debug!(code = set, "SQLite keeps the system allocator");
    }
}

/// Run by SQLite for each connection it opens. Without a stable plan, a statement whose plan
/// might depend on a bound value (any `LIMIT ?`, as every page has) is marked expired by each
/// new binding and compiled again on its next run, which was a fifth of the server's CPU
/// under history reads. No plan here depends on values: the schema's indexes decide.
unsafe extern "C" fn stable_plans(
    db: *mut libsqlite3_sys::sqlite3,
    _error: *mut *mut c_char,
    _api: *const libsqlite3_sys::sqlite3_api_routines,
) -> c_int {
    // SAFETY: `db` is the connection being opened; the option takes an int and an optional
    // int pointer for the value set. Failing, it changes nothing: the connection opens anyway.
    unsafe {
        libsqlite3_sys::sqlite3_db_config(
            db,
            libsqlite3_sys::SQLITE_DBCONFIG_ENABLE_QPSG,
            1 as c_int,
            std::ptr::null_mut::<c_int>(),
        );
    }
    libsqlite3_sys::SQLITE_OK
}

#[cfg(test)]
mod tests {
    /// What SQLite allocates comes from the server's allocator.
    #[tokio::test]
    async fn sqlite_allocates_from_the_servers_allocator() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("a.db").display());
        let _db = super::super::db::connect(&url, 1, false).await.unwrap();
        // SAFETY: a block of SQLite's, checked and given back to it.
        unsafe {
            let block = libsqlite3_sys::sqlite3_malloc(100);
            assert!(!block.is_null());
            assert!(libmimalloc_sys::mi_is_in_heap_region(block));
            libsqlite3_sys::sqlite3_free(block);
        }
    }
}
