/// What a repository can fail with. Expected failures get their own variant so callers can branch.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A unique rule was broken; the payload names the field (e.g. `"email"`).
    #[error("duplicate {0}")]
    Duplicate(&'static str),
    /// A row the change needs is not there (any more); the payload names it (e.g. `"member"`).
    #[error("no such {0}")]
    Gone(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
