//! The rows of one table: read from SQLite in key order, written to
//! PostgreSQL with `COPY … FROM STDIN` (text format, about 1 MiB a
//! message), and hashed on both sides from the values read, so that the
//! check compares what each database holds, not what was sent.

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::{Decode, PgConnection, Row, SqliteConnection, TypeInfo, ValueRef};

use super::outcome::CopyError;
use super::schema::{Kind, Table, quote};

/// How much COPY data is gathered before it is sent.
const CHUNK: usize = 1 << 20;

/// One value, as both sides decode it.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Int(i64),
    Bool(bool),
    Text(String),
    Bytes(Vec<u8>),
}

impl Value {
    /// Appends the value in COPY's text format: `\N` for NULL, backslash
    /// escapes for the backslash, the delimiter (tab) and line ends, bytea
    /// as `\x` hex (its backslash escaped).
    fn write_copy(&self, out: &mut Vec<u8>) {
        match self {
            Value::Null => out.extend_from_slice(b"\\N"),
            Value::Int(i) => out.extend_from_slice(i.to_string().as_bytes()),
            Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
            Value::Text(s) => {
                for byte in s.bytes() {
                    match byte {
                        b'\\' => out.extend_from_slice(b"\\\\"),
                        b'\t' => out.extend_from_slice(b"\\t"),
                        b'\n' => out.extend_from_slice(b"\\n"),
                        b'\r' => out.extend_from_slice(b"\\r"),
                        _ => out.push(byte),
                    }
                }
            }
            Value::Bytes(b) => {
                out.extend_from_slice(b"\\\\x");
                out.extend_from_slice(hex::encode(b).as_bytes());
            }
        }
    }

    /// Feeds the value's canonical form to the checksum: a tag, then the
    /// length and bytes of its content (so no two rows hash alike by
    /// shifting a boundary).
    fn hash(&self, h: &mut Sha256) {
        let (tag, bytes): (u8, std::borrow::Cow<'_, [u8]>) = match self {
            Value::Null => (b'N', (&[][..]).into()),
            Value::Int(i) => (b'I', i.to_be_bytes().to_vec().into()),
            Value::Bool(b) => (b'B', vec![u8::from(*b)].into()),
            Value::Text(s) => (b'T', s.as_bytes().into()),
            Value::Bytes(b) => (b'X', b.as_slice().into()),
        };
        h.update([tag]);
        h.update((bytes.len() as u64).to_be_bytes());
        h.update(&bytes);
    }
}

/// Row count and checksum of one side of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Digest256 {
    pub rows: u64,
    pub sha256: String,
}

struct Hasher {
    rows: u64,
    sha: Sha256,
}

impl Hasher {
    fn new() -> Self {
        Hasher {
            rows: 0,
            sha: Sha256::new(),
        }
    }

    fn row(&mut self, values: &[Value]) {
        self.rows += 1;
        self.sha.update(b"R");
        for v in values {
            v.hash(&mut self.sha);
        }
    }

    fn finish(self) -> Digest256 {
        Digest256 {
            rows: self.rows,
            sha256: hex::encode(self.sha.finalize()),
        }
    }
}

/// A SQLite value as the PostgreSQL column's kind wants it, or the problem:
/// only the storage class that kind is written from is taken (a TEXT where
/// a BIGINT goes is an error, not a silent cast).
fn from_sqlite(row: &sqlx::sqlite::SqliteRow, i: usize, kind: Kind) -> Result<Value, String> {
    let raw = row.try_get_raw(i).map_err(|e| e.to_string())?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let class = raw.type_info().name().to_string();
    let wrong = || format!("holds a SQLite {class} value where PostgreSQL wants {kind:?}");
    match (kind, class.as_str()) {
        (Kind::Int, "INTEGER") => Ok(Value::Int(
            <i64 as Decode<sqlx::Sqlite>>::decode(raw).map_err(|e| e.to_string())?,
        )),
        (Kind::Bool, "INTEGER") => {
            match <i64 as Decode<sqlx::Sqlite>>::decode(raw).map_err(|e| e.to_string())? {
                0 => Ok(Value::Bool(false)),
                1 => Ok(Value::Bool(true)),
                n => Err(format!("holds {n} where a boolean (0 or 1) goes")),
            }
        }
        (Kind::Text, "TEXT") => Ok(Value::Text(
            <String as Decode<sqlx::Sqlite>>::decode(raw).map_err(|e| e.to_string())?,
        )),
        (Kind::Bytes, "BLOB") => Ok(Value::Bytes(
            <Vec<u8> as Decode<sqlx::Sqlite>>::decode(raw).map_err(|e| e.to_string())?,
        )),
        _ => Err(wrong()),
    }
}

fn from_postgres(row: &sqlx::postgres::PgRow, i: usize, kind: Kind) -> sqlx::Result<Value> {
    Ok(match kind {
        Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
        Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
        Kind::Text => row.try_get::<Option<String>, _>(i)?.map(Value::Text),
        Kind::Bytes => row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
    }
    .unwrap_or(Value::Null))
}

/// Copies every row of `table` from the source's read transaction into
/// the target's; gives the source side's count and checksum.
pub(super) async fn copy_table(
    src: &mut SqliteConnection,
    tgt: &mut PgConnection,
    table: &Table,
) -> Result<Digest256, CopyError> {
    let failed = |source: sqlx::Error| CopyError::Table {
        table: table.name.clone(),
        source,
    };
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        table.column_list(),
        quote(&table.name),
        table.order_by(false)
    );
    let copy = format!(
        "COPY {} ({}) FROM STDIN",
        quote(&table.name),
        table.column_list()
    );
    let mut sink = tgt.copy_in_raw(&copy).await.map_err(failed)?;
    let mut hasher = Hasher::new();
    let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + 64 * 1024);
    let mut rows = sqlx::query(&select).fetch(&mut *src);
    let mut values = Vec::with_capacity(table.columns.len());
    let outcome: Result<(), CopyError> = async {
        while let Some(row) = rows.try_next().await.map_err(failed)? {
            values.clear();
            for (i, column) in table.columns.iter().enumerate() {
                let value =
                    from_sqlite(&row, i, column.kind).map_err(|problem| CopyError::Value {
                        table: table.name.clone(),
                        column: column.name.clone(),
                        problem,
                    })?;
                values.push(value);
            }
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    buf.push(b'\t');
                }
                v.write_copy(&mut buf);
            }
            buf.push(b'\n');
            hasher.row(&values);
            if buf.len() >= CHUNK {
                sink.send(std::mem::take(&mut buf)).await.map_err(failed)?;
                buf.reserve(CHUNK + 64 * 1024);
            }
        }
        Ok(())
    }
    .await;
    drop(rows);
    if let Err(e) = outcome {
        sink.abort(e.to_string()).await.ok();
        return Err(e);
    }
    if !buf.is_empty() {
        sink.send(buf).await.map_err(failed)?;
    }
    let written = sink.finish().await.map_err(failed)?;
    let digest = hasher.finish();
    if written != digest.rows {
        return Err(CopyError::Schema(format!(
            "{}: COPY wrote {written} rows of the {} sent",
            table.name, digest.rows
        )));
    }
    Ok(digest)
}

/// Count and checksum of `table` as the target holds it, read back in the
/// same key order.
pub(super) async fn digest_target(
    tgt: &mut PgConnection,
    table: &Table,
) -> Result<Digest256, CopyError> {
    let select = format!(
        "SELECT {} FROM {} ORDER BY {}",
        table.column_list(),
        quote(&table.name),
        table.order_by(true)
    );
    let mut hasher = Hasher::new();
    let mut rows = sqlx::query(&select).fetch(&mut *tgt);
    let mut values = Vec::with_capacity(table.columns.len());
    let failed = |source: sqlx::Error| CopyError::Table {
        table: table.name.clone(),
        source,
    };
    while let Some(row) = rows.try_next().await.map_err(failed)? {
        values.clear();
        for (i, column) in table.columns.iter().enumerate() {
            values.push(from_postgres(&row, i, column.kind).map_err(failed)?);
        }
        hasher.row(&values);
    }
    Ok(hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn copy_text(v: &Value) -> String {
        let mut out = Vec::new();
        v.write_copy(&mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn copy_text_escapes_what_the_format_gives_meaning() {
        assert_eq!(copy_text(&Value::Null), "\\N");
        assert_eq!(copy_text(&Value::Text("\\N".into())), "\\\\N");
        assert_eq!(
            copy_text(&Value::Text("a\tb\nc\rd\\e".into())),
            "a\\tb\\nc\\rd\\\\e"
        );
        assert_eq!(copy_text(&Value::Text("é ✓".into())), "é ✓");
        assert_eq!(copy_text(&Value::Bytes(vec![0, 0xff])), "\\\\x00ff");
        assert_eq!(copy_text(&Value::Bool(true)), "t");
        assert_eq!(copy_text(&Value::Int(-42)), "-42");
    }

    #[test]
    fn the_checksum_tells_shifted_boundaries_and_kinds_apart() {
        let digest = |rows: &[&[Value]]| {
            let mut h = Hasher::new();
            for r in rows {
                h.row(r);
            }
            h.finish().sha256
        };
        let ab = digest(&[&[Value::Text("a".into()), Value::Text("b".into())]]);
        let a_b = digest(&[&[Value::Text("ab".into()), Value::Text(String::new())]]);
        assert_ne!(ab, a_b);
        assert_ne!(
            digest(&[&[Value::Null]]),
            digest(&[&[Value::Text(String::new())]])
        );
        assert_ne!(digest(&[&[Value::Int(1)]]), digest(&[&[Value::Bool(true)]]));
        assert_ne!(
            digest(&[&[Value::Int(1)], &[Value::Int(2)]]),
            digest(&[&[Value::Int(2)], &[Value::Int(1)]])
        );
    }
}
