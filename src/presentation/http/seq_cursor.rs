//! The cursor of a message list: where the next page starts and which way it reads. It has
//! the shape of every other list's `cursor` and `next_cursor`; `before_seq` and `after_seq`
//! still work for clients that keep seqs themselves.

use crate::application::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqCursor {
    /// Older messages than this seq.
    Before(i64),
    /// Newer messages than this seq, oldest first.
    After(i64),
}

impl SeqCursor {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let refused = || AppError::invalid("cursor", "is not a cursor from this API");
        let (direction, seq) = raw.split_at_checked(1).ok_or_else(refused)?;
        let seq: i64 = seq.parse().map_err(|_| refused())?;
        match direction {
            "b" if seq >= 1 => Ok(Self::Before(seq)),
            "a" if seq >= 0 => Ok(Self::After(seq)),
            _ => Err(refused()),
        }
    }

    pub fn encode(self) -> String {
        match self {
            Self::Before(seq) => format!("b{seq}"),
            Self::After(seq) => format!("a{seq}"),
        }
    }

    /// `(before_seq, after_seq)` from a cursor or from the seqs given instead of one.
    pub fn resolve(
        cursor: Option<&str>,
        before_seq: Option<i64>,
        after_seq: Option<i64>,
    ) -> Result<(Option<i64>, Option<i64>), AppError> {
        let Some(raw) = cursor else {
            return Ok((before_seq, after_seq));
        };
        if before_seq.is_some() || after_seq.is_some() {
            return Err(AppError::invalid(
                "cursor",
                "cannot be combined with before_seq or after_seq",
            ));
        }
        Ok(match Self::parse(raw)? {
            Self::Before(seq) => (Some(seq), None),
            Self::After(seq) => (None, Some(seq)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        for cursor in [SeqCursor::Before(42), SeqCursor::After(0)] {
            assert_eq!(SeqCursor::parse(&cursor.encode()).ok(), Some(cursor));
        }
        for raw in ["", "b", "b0", "a-1", "x5", "b1.5", "é"] {
            assert!(SeqCursor::parse(raw).is_err(), "{raw}");
        }
    }
}
