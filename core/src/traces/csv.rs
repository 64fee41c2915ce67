//! An incremental RFC 4180 reader: bytes in any chunks, whole records out.
//!
//! Quoted fields may hold commas, doubled quotes (`""`) and line breaks;
//! CRLF and LF both end records; blank lines are skipped. Where a file
//! strays from the RFC the reader is lenient rather than losing data: a
//! quote inside an unquoted field, or text after a closing quote, is kept
//! as text. Only the current record is held between chunks.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    FieldStart,
    /// Inside an unquoted field.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// After a quote inside a quoted field: a second quote is a literal
    /// quote, anything else ends the quoting.
    QuoteInQuoted,
}

/// One record: its fields, or why it could not be read; and the line it starts on.
pub type CsvRecord = (Result<Vec<String>, String>, u64);

/// The incremental reader.
#[derive(Clone, Debug)]
pub struct CsvReader {
    state: State,
    /// The current record's bytes, fields back to back.
    buf: Vec<u8>,
    /// Where each finished field of the current record ends in `buf`.
    ends: Vec<usize>,
    line: u64,
    record_line: u64,
    /// The record outgrew `max_record_bytes`: its bytes are dropped until it ends.
    overflow: bool,
    max_record_bytes: usize,
}

impl CsvReader {
    /// A reader that refuses (as an error for that record) records larger
    /// than `max_record_bytes`, so one runaway quote cannot hold a whole file.
    pub fn new(max_record_bytes: usize) -> CsvReader {
        CsvReader {
            state: State::FieldStart,
            buf: Vec::new(),
            ends: Vec::new(),
            line: 1,
            record_line: 1,
            overflow: false,
            max_record_bytes,
        }
    }

    /// Reads `bytes`, calling `emit` for every record completed in them.
    pub fn push(&mut self, bytes: &[u8], emit: &mut dyn FnMut(CsvRecord)) {
        for &b in bytes {
            if self.state == State::FieldStart && self.ends.is_empty() && self.buf.is_empty() && !self.overflow {
                self.record_line = self.line;
            }
            match (self.state, b) {
                (State::Quoted, b'"') => self.state = State::QuoteInQuoted,
                (State::Quoted, _) => self.byte(b),
                (State::QuoteInQuoted, b'"') => {
                    self.byte(b'"');
                    self.state = State::Quoted;
                }
                (State::FieldStart, b'"') => self.state = State::Quoted,
                (_, b',') => {
                    self.ends.push(self.buf.len());
                    self.state = State::FieldStart;
                }
                (_, b'\n') => self.end_record(emit),
                // CR of a CRLF outside quotes; inside quotes it was kept above.
                (_, b'\r') => {}
                (_, _) => {
                    self.byte(b);
                    self.state = State::Unquoted;
                }
            }
            if b == b'\n' {
                self.line += 1;
            }
        }
    }

    /// Ends the input: emits the last record if it had no final line break,
    /// or an error if it ends inside a quoted field.
    pub fn finish(mut self, emit: &mut dyn FnMut(CsvRecord)) {
        if self.state == State::Quoted {
            let line = self.record_line;
            emit((Err(format!("unterminated quoted field (the record starting on line {line})")), line));
        } else if !self.buf.is_empty() || !self.ends.is_empty() || self.overflow {
            self.end_record(emit);
        }
    }

    fn byte(&mut self, b: u8) {
        if self.overflow {
            return;
        }
        if self.buf.len() >= self.max_record_bytes {
            self.overflow = true;
            self.buf = Vec::new();
            self.ends.clear();
            return;
        }
        self.buf.push(b);
    }

    fn end_record(&mut self, emit: &mut dyn FnMut(CsvRecord)) {
        let line = self.record_line;
        self.state = State::FieldStart;
        if self.overflow {
            self.overflow = false;
            self.buf.clear();
            self.ends.clear();
            emit((Err(format!("record larger than {} bytes", self.max_record_bytes)), line));
            return;
        }
        if self.ends.is_empty() && self.buf.is_empty() {
            return; // a blank line
        }
        self.ends.push(self.buf.len());
        let mut fields = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        let mut bad_utf8 = None;
        for (i, &end) in self.ends.iter().enumerate() {
            match core::str::from_utf8(&self.buf[start..end]) {
                Ok(s) => fields.push(String::from(s)),
                Err(_) => {
                    bad_utf8 = Some(i + 1);
                    break;
                }
            }
            start = end;
        }
        self.buf.clear();
        self.ends.clear();
        match bad_utf8 {
            Some(field) => emit((Err(format!("field {field} is not UTF-8 text")), line)),
            None => emit((Ok(fields), line)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn read(text: &[u8], chunk: usize) -> Vec<CsvRecord> {
        let mut r = CsvReader::new(1 << 20);
        let mut out = Vec::new();
        for c in text.chunks(chunk.max(1)) {
            r.push(c, &mut |rec| out.push(rec));
        }
        r.finish(&mut |rec| out.push(rec));
        out
    }

    fn fields(v: &[&str]) -> Result<Vec<String>, String> {
        Ok(v.iter().map(|s| String::from(*s)).collect())
    }

    #[test]
    fn rfc_4180_quoting_in_any_chunking() {
        let text = b"id,note\r\n1,\"a, \"\"quoted\"\"\r\nline\"\n\n2,plain\n3,\"\"\n4,last";
        for chunk in [1, 2, 3, 7, 100] {
            let recs = read(text, chunk);
            assert_eq!(
                recs,
                vec![
                    (fields(&["id", "note"]), 1),
                    (fields(&["1", "a, \"quoted\"\r\nline"]), 2),
                    (fields(&["2", "plain"]), 5),
                    (fields(&["3", ""]), 6),
                    (fields(&["4", "last"]), 7),
                ],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn malformed_records_are_errors_and_reading_goes_on() {
        let recs = read(b"a,b\n\xff,1\nx\"y,\"z\"w\n\"open", 4);
        assert!(recs[1].0.as_ref().unwrap_err().contains("not UTF-8"));
        assert_eq!(recs[2], (fields(&["x\"y", "zw"]), 3));
        assert_eq!(recs[3].1, 4);
        assert!(recs[3].0.as_ref().unwrap_err().contains("unterminated quoted field"));
        let mut r = CsvReader::new(4);
        let mut out = Vec::new();
        r.push(b"123456,7\nok\n", &mut |rec| out.push(rec));
        assert!(out[0].0.is_err());
        assert_eq!(out[1], (fields(&["ok"]), 2));
    }
}
