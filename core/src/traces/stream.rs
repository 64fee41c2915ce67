//! The incremental import driver: chunks of bytes in, [`Progress`] out,
//! generations into a [`Sink`], and an [`ImportReport`] at the end.
//!
//! It never holds the whole text (a 200 MB export imports in a browser tab):
//! - JSON Lines are read line by line; only an incomplete last line is
//!   carried to the next chunk.
//! - A JSON document is cut into records by a small scanner that tracks
//!   string and escape state and nesting depth: the elements of a top-level
//!   array, or of the `data` array of an API page, or of the
//!   `resourceSpans` array of an OTLP request, are each parsed (by
//!   serde_json) as soon as they are complete. Only the current element is
//!   held. Any other top-level object (a single trace with its
//!   observations) is one record and is held whole until it closes.
//! - CSV is read record by record ([`super::csv`]).
//!
//! No record larger than [`ImportOptions::max_record_bytes`] is held: it is
//! an error for that record, and reading goes on after it.
//!
//! A malformed record is an error naming its record number and line, and
//! the records around it are kept. The first [`ImportOptions::max_errors`]
//! errors are kept in full; the rest are counted. Whatever the chunking, the
//! same bytes give the same report.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::Serialize;
use serde_json::value::RawValue;

use super::csv::{CsvReader, CsvRecord};
use super::detect::{Format, Sniffer};
use super::langfuse::{self, CsvRow};
use super::{otel, Generation, Location, Output, RawObject, SourceCounts};

/// Where imported generations go: a `Vec`, or an aggregator that keeps
/// only what it needs.
pub trait Sink {
    /// Takes one generation.
    fn generation(&mut self, generation: Generation);
}

impl Sink for Vec<Generation> {
    fn generation(&mut self, generation: Generation) {
        self.push(generation);
    }
}

/// How to import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Force a container instead of detecting it.
    pub format: Option<Format>,
    /// Errors kept in full in the report; later ones are only counted.
    pub max_errors: usize,
    /// The largest record held in memory.
    pub max_record_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions { format: None, max_errors: 100, max_record_bytes: 64 << 20 }
    }
}

/// A record that could not be read (or part of one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecordError {
    /// 1-based record number: line of JSON Lines, row of CSV (after the
    /// header), element of a JSON array.
    pub record: u64,
    /// 1-based line where the record starts.
    pub line: u64,
    /// What is wrong, naming the field.
    pub message: String,
}

/// How far an import has come.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// Bytes pushed so far.
    pub bytes: u64,
    /// Records read.
    pub records: u64,
    /// Generations sent to the sink.
    pub generations: u64,
    /// Errors so far.
    pub errors: u64,
}

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// The detected (or forced) container; `None` for empty input.
    pub format: Option<Format>,
    /// Bytes read.
    pub bytes: u64,
    /// Records read (lines, rows, array elements).
    pub records: u64,
    /// Generations imported.
    pub generations: u64,
    /// Observations and spans that are no model call.
    pub skipped: u64,
    /// Records of each source shape.
    pub sources: SourceCounts,
    /// The first errors, in order.
    pub errors: Vec<RecordError>,
    /// All errors, including those not kept.
    pub error_count: u64,
}

/// How a split element is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    /// Decide by its fields.
    Any,
    /// An element of an OTLP `resourceSpans` array.
    ResourceSpans,
}

/// Bytes of a record being captured across chunks.
#[derive(Debug, Default)]
struct Capture {
    buf: Vec<u8>,
    active: bool,
    /// Where the capture resumes in the current chunk.
    start: usize,
    /// The record outgrew the limit: its bytes are dropped until it ends.
    overflow: bool,
}

impl Capture {
    fn begin(&mut self, at: usize) {
        self.buf.clear();
        self.active = true;
        self.start = at;
        self.overflow = false;
    }

    fn append(&mut self, bytes: &[u8], max: usize) {
        if self.overflow {
            return;
        }
        if self.buf.len() + bytes.len() > max {
            self.overflow = true;
            self.buf = Vec::new();
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Stops capturing after `chunk[..=at]`, keeping what was captured.
    fn pause(&mut self, chunk: &[u8], at: usize, max: usize) {
        self.append(&chunk[self.start..=at], max);
        self.active = false;
    }

    fn resume(&mut self, at: usize) {
        self.active = true;
        self.start = at;
    }

    /// At the end of a chunk: keeps the captured tail.
    fn carry(&mut self, chunk: &[u8], max: usize) {
        if self.active {
            self.append(&chunk[self.start..], max);
            self.start = 0;
        }
    }
}

/// What the document scanner found.
enum Found<'a> {
    /// A complete record.
    Record(&'a [u8], Location, Ctx),
    /// A record that is not an object, too large, or a stray byte.
    Error(Location, String),
}

/// The JSON document scanner (see the module docs).
#[derive(Debug, Default)]
struct Splitter {
    depth: u32,
    in_str: bool,
    esc: bool,
    line: u64,
    records: u64,
    /// The top-level value being read: `Some(b'{')` or `Some(b'[')`.
    top: Option<u8>,
    top_line: u64,
    /// Depth of a top-level object member key being read, its bytes.
    key: Vec<u8>,
    key_open: bool,
    /// The last key at depth 1 was followed by `:`.
    after_colon: bool,
    /// Inside an array whose elements are records: their depth and kind.
    split: Option<(u32, Ctx)>,
    /// The top-level object had a split array: it is a wrapper, not a record.
    was_split: bool,
    obj: Capture,
    elem: Capture,
    elem_line: u64,
    /// A scalar element is being skipped.
    scalar: bool,
    /// Reported garbage at the top level already (once per run).
    garbage: bool,
    max: usize,
}

impl Splitter {
    fn new(max: usize) -> Splitter {
        Splitter { line: 1, max, ..Splitter::default() }
    }

    fn next_loc(&mut self, line: u64) -> Location {
        self.records += 1;
        Location { record: self.records, line }
    }

    fn push(&mut self, chunk: &[u8], emit: &mut dyn FnMut(Found<'_>)) {
        for (i, &b) in chunk.iter().enumerate() {
            if self.in_str {
                if self.esc {
                    self.esc = false;
                } else if b == b'\\' {
                    self.esc = true;
                } else if b == b'"' {
                    self.in_str = false;
                    self.key_open = false;
                } else if self.key_open && self.key.len() < 32 {
                    self.key.push(b);
                }
                if b == b'\n' {
                    self.line += 1;
                }
                continue;
            }
            let d = self.depth;
            let element_level = self.split.map(|(level, _)| level);
            match b {
                b'{' | b'[' => {
                    if d == 0 {
                        self.top = Some(b);
                        self.top_line = self.line;
                        self.garbage = false;
                        self.was_split = false;
                        if b == b'{' {
                            self.obj.begin(i);
                        } else {
                            self.split = Some((1, Ctx::Any));
                        }
                    } else if element_level == Some(d) && !self.elem.active && !self.scalar {
                        self.elem.begin(i);
                        self.elem_line = self.line;
                    }
                    if d == 1 && b == b'[' && self.top == Some(b'{') && self.after_colon && self.split.is_none() {
                        let ctx = match self.key.as_slice() {
                            b"data" => Some(Ctx::Any),
                            b"resourceSpans" | b"resource_spans" => Some(Ctx::ResourceSpans),
                            _ => None,
                        };
                        if let Some(ctx) = ctx {
                            self.obj.pause(chunk, i, self.max);
                            self.split = Some((2, ctx));
                            self.was_split = true;
                        }
                    }
                    self.depth = d.saturating_add(1);
                }
                b'}' | b']' => {
                    if d == 0 {
                        self.stray(b, emit);
                        continue;
                    }
                    let nd = d - 1;
                    self.depth = nd;
                    match self.split {
                        Some((level, ctx)) if self.elem.active && nd == level => {
                            self.finish_element(chunk, i, ctx, emit);
                        }
                        Some((level, _)) if nd + 1 == level => {
                            // The split array itself closes (after a last scalar element, if any).
                            self.end_scalar(emit);
                            self.split = None;
                            if self.top == Some(b'{') {
                                self.obj.resume(i);
                            }
                        }
                        _ => {}
                    }
                    if nd == 0 {
                        self.finish_top(chunk, i, emit);
                    }
                }
                b'"' => {
                    self.in_str = true;
                    if d == 0 {
                        self.stray(b, emit);
                    } else if d == 1 && self.top == Some(b'{') && self.split.is_none() {
                        self.key.clear();
                        self.key_open = true;
                        self.after_colon = false;
                    } else if element_level == Some(d) && !self.elem.active {
                        self.start_scalar();
                    }
                }
                b':' if d == 1 => self.after_colon = true,
                b',' => {
                    if d == 1 {
                        self.after_colon = false;
                    }
                    if element_level == Some(d) {
                        self.end_scalar(emit);
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' => {}
                _ => {
                    if d == 0 {
                        if !self.garbage {
                            self.garbage = true;
                            let loc = self.next_loc(self.line);
                            emit(Found::Error(loc, format!("unexpected `{}` between JSON values", b as char)));
                        }
                    } else if element_level == Some(d) && !self.elem.active {
                        self.start_scalar();
                    }
                }
            }
            if b == b'\n' {
                self.line += 1;
            }
        }
        self.obj.carry(chunk, self.max);
        self.elem.carry(chunk, self.max);
    }

    fn stray(&mut self, b: u8, emit: &mut dyn FnMut(Found<'_>)) {
        if !self.garbage {
            self.garbage = true;
            let loc = self.next_loc(self.line);
            emit(Found::Error(loc, format!("unexpected `{}` outside any JSON object or array", b as char)));
        }
    }

    fn start_scalar(&mut self) {
        self.scalar = true;
        self.elem_line = self.line;
    }

    fn end_scalar(&mut self, emit: &mut dyn FnMut(Found<'_>)) {
        if self.scalar {
            self.scalar = false;
            let loc = self.next_loc(self.elem_line);
            emit(Found::Error(loc, String::from("expected a JSON object, found a scalar")));
        }
    }

    fn finish_element(&mut self, chunk: &[u8], i: usize, ctx: Ctx, emit: &mut dyn FnMut(Found<'_>)) {
        let loc = self.next_loc(self.elem_line);
        self.elem.active = false;
        if self.elem.overflow {
            emit(Found::Error(loc, format!("record larger than {} bytes", self.max)));
        } else if self.elem.buf.is_empty() {
            // The same limit whether or not the record spans chunks.
            match &chunk[self.elem.start..=i] {
                bytes if bytes.len() > self.max => {
                    emit(Found::Error(loc, format!("record larger than {} bytes", self.max)))
                }
                bytes => emit(Found::Record(bytes, loc, ctx)),
            }
        } else {
            self.elem.append(&chunk[self.elem.start..=i], self.max);
            if self.elem.overflow {
                emit(Found::Error(loc, format!("record larger than {} bytes", self.max)));
            } else {
                emit(Found::Record(&self.elem.buf, loc, ctx));
            }
        }
        self.elem.buf.clear();
    }

    /// A top-level value closed: a wrapper is done, a lone object is a record.
    fn finish_top(&mut self, chunk: &[u8], i: usize, emit: &mut dyn FnMut(Found<'_>)) {
        let top = self.top.take();
        self.split = None;
        self.after_colon = false;
        if top != Some(b'{') {
            return;
        }
        self.obj.active = false;
        if self.was_split {
            self.obj.buf.clear();
            return;
        }
        let loc = self.next_loc(self.top_line);
        if self.obj.overflow {
            emit(Found::Error(loc, format!("record larger than {} bytes", self.max)));
        } else if self.obj.buf.is_empty() {
            match &chunk[self.obj.start..=i] {
                bytes if bytes.len() > self.max => {
                    emit(Found::Error(loc, format!("record larger than {} bytes", self.max)))
                }
                bytes => emit(Found::Record(bytes, loc, Ctx::Any)),
            }
        } else {
            self.obj.append(&chunk[self.obj.start..=i], self.max);
            if self.obj.overflow {
                emit(Found::Error(loc, format!("record larger than {} bytes", self.max)));
            } else {
                emit(Found::Record(&self.obj.buf, loc, Ctx::Any));
            }
        }
        self.obj.buf.clear();
    }

    fn finish(mut self, emit: &mut dyn FnMut(Found<'_>)) {
        self.end_scalar(emit);
        if self.depth > 0 || self.in_str {
            let line = if self.elem.active { self.elem_line } else { self.top_line };
            let loc = self.next_loc(line);
            emit(Found::Error(loc, String::from("the input ends inside a JSON value (truncated file?)")));
        }
    }
}

/// JSON Lines: the incomplete last line carried between chunks.
#[derive(Debug, Default)]
struct Lines {
    carry: Vec<u8>,
    overflow: bool,
    line: u64,
    records: u64,
}

/// CSV: the reader and the header once read.
#[derive(Debug)]
struct Csv {
    reader: CsvReader,
    columns: Option<BTreeMap<String, usize>>,
    width: usize,
    rows: u64,
}

#[derive(Debug)]
enum Mode {
    Sniff(Sniffer, Vec<u8>),
    Lines(Lines),
    Document(Splitter),
    Csv(Csv),
    /// The input is not an export farebox reads; the rest is ignored.
    Rejected,
}

/// The incremental importer (see the module docs).
#[derive(Debug)]
pub struct Importer<S: Sink = Vec<Generation>> {
    options: ImportOptions,
    sink: S,
    mode: Mode,
    report: ImportReport,
    /// Reused for every record to spare allocations.
    scratch: Output,
}

impl Importer<Vec<Generation>> {
    /// An importer collecting the generations in a `Vec`.
    pub fn new(options: ImportOptions) -> Importer<Vec<Generation>> {
        Importer::with_sink(options, Vec::new())
    }

    /// Imports a whole text in one go, collecting the generations.
    pub fn import_all(bytes: &[u8], options: ImportOptions) -> (ImportReport, Vec<Generation>) {
        let mut importer = Importer::with_sink(options, Vec::new());
        importer.push(bytes);
        importer.finish()
    }
}

impl<S: Sink> Importer<S> {
    /// An importer sending generations to `sink`.
    pub fn with_sink(options: ImportOptions, sink: S) -> Importer<S> {
        let mode = match options.format {
            Some(f) => Importer::<S>::mode_for(f, &options),
            None => Mode::Sniff(Sniffer::default(), Vec::new()),
        };
        let report = ImportReport { format: options.format, ..ImportReport::default() };
        Importer { options, sink, mode, report, scratch: Output::default() }
    }

    fn mode_for(format: Format, options: &ImportOptions) -> Mode {
        match format {
            Format::Json => Mode::Document(Splitter::new(options.max_record_bytes)),
            Format::JsonLines => Mode::Lines(Lines { line: 1, ..Lines::default() }),
            Format::Csv => {
                Mode::Csv(Csv { reader: CsvReader::new(options.max_record_bytes), columns: None, width: 0, rows: 0 })
            }
        }
    }

    /// The sink, e.g. to read an aggregate while importing.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Reads the next chunk.
    pub fn push(&mut self, chunk: &[u8]) -> Progress {
        self.report.bytes += chunk.len() as u64;
        self.feed(chunk);
        self.progress()
    }

    /// Ends the input: reads what is left and returns the report and the sink.
    pub fn finish(mut self) -> (ImportReport, S) {
        if let Mode::Sniff(sniffer, pending) = &mut self.mode {
            if let Some(format) = sniffer.finish() {
                let pending = core::mem::take(pending);
                self.start(format);
                self.feed(&pending);
            }
        }
        let Importer { options, sink, mode, report, scratch } = &mut self;
        let mut ctx = Handler { options, sink, report, scratch };
        match core::mem::replace(mode, Mode::Rejected) {
            Mode::Lines(mut lines) => {
                if !lines.carry.is_empty() || lines.overflow {
                    let carry = core::mem::take(&mut lines.carry);
                    ctx.line(&carry, &mut lines);
                }
            }
            Mode::Document(splitter) => splitter.finish(&mut |found| ctx.found(found)),
            Mode::Csv(mut csv) => {
                let reader = core::mem::replace(&mut csv.reader, CsvReader::new(0));
                reader.finish(&mut |rec| ctx.csv(rec, &mut csv));
            }
            Mode::Sniff(..) | Mode::Rejected => {}
        }
        (self.report, self.sink)
    }

    /// Progress so far.
    pub fn progress(&self) -> Progress {
        Progress {
            bytes: self.report.bytes,
            records: self.report.records,
            generations: self.report.generations,
            errors: self.report.error_count,
        }
    }

    fn start(&mut self, format: Format) {
        self.report.format = Some(format);
        self.mode = Importer::<S>::mode_for(format, &self.options);
    }

    fn feed(&mut self, chunk: &[u8]) {
        if let Mode::Sniff(sniffer, pending) = &mut self.mode {
            pending.extend_from_slice(chunk);
            let Some(format) = sniffer.feed(pending) else { return };
            let pending = core::mem::take(pending);
            self.start(format);
            return self.feed(&pending);
        }
        let Importer { options, sink, mode, report, scratch } = self;
        let mut ctx = Handler { options, sink, report, scratch };
        match mode {
            Mode::Lines(lines) => ctx.lines(chunk, lines),
            Mode::Document(splitter) => splitter.push(chunk, &mut |found| ctx.found(found)),
            Mode::Csv(csv) => {
                let mut reader = core::mem::replace(&mut csv.reader, CsvReader::new(0));
                reader.push(chunk, &mut |rec| ctx.csv(rec, csv));
                csv.reader = reader;
                if csv.columns.as_ref().is_some_and(BTreeMap::is_empty) {
                    *mode = Mode::Rejected;
                }
            }
            Mode::Sniff(..) | Mode::Rejected => {}
        }
    }
}

/// The parts of the importer that records go to.
struct Handler<'a, S: Sink> {
    options: &'a ImportOptions,
    sink: &'a mut S,
    report: &'a mut ImportReport,
    scratch: &'a mut Output,
}

impl<S: Sink> Handler<'_, S> {
    fn error(&mut self, loc: Location, message: String) {
        self.report.error_count += 1;
        if self.report.errors.len() < self.options.max_errors {
            self.report.errors.push(RecordError { record: loc.record, line: loc.line, message });
        }
    }

    /// Hands a record's output on: generations to the sink, errors to the report.
    fn flush(&mut self, loc: Location) {
        self.report.records += 1;
        let out = core::mem::take(self.scratch);
        self.report.skipped += out.skipped;
        self.report.sources.add(&out.kinds);
        for g in out.generations {
            self.report.generations += 1;
            self.sink.generation(g);
        }
        for e in out.errors {
            self.error(loc, e);
        }
    }

    fn found(&mut self, found: Found<'_>) {
        match found {
            Found::Record(bytes, loc, ctx) => self.record(bytes, loc, ctx),
            Found::Error(loc, message) => {
                self.report.records += 1;
                self.error(loc, message);
            }
        }
    }

    fn record(&mut self, bytes: &[u8], loc: Location, ctx: Ctx) {
        match ctx {
            Ctx::ResourceSpans => otel::resource_spans_text(bytes, loc, self.scratch),
            Ctx::Any => dispatch(bytes, loc, self.scratch, 0),
        }
        self.flush(loc);
    }

    fn lines(&mut self, chunk: &[u8], lines: &mut Lines) {
        let mut rest = chunk;
        while let Some(n) = rest.iter().position(|&b| b == b'\n') {
            if lines.carry.is_empty() && !lines.overflow {
                // The same limit whether or not the line spans chunks.
                lines.overflow = n > self.options.max_record_bytes;
                self.line(&rest[..n], lines);
            } else {
                append_capped(&mut lines.carry, &mut lines.overflow, &rest[..n], self.options.max_record_bytes);
                let carry = core::mem::take(&mut lines.carry);
                self.line(&carry, lines);
                lines.carry = carry;
                lines.carry.clear();
            }
            lines.line += 1;
            rest = &rest[n + 1..];
        }
        append_capped(&mut lines.carry, &mut lines.overflow, rest, self.options.max_record_bytes);
    }

    fn line(&mut self, line: &[u8], lines: &mut Lines) {
        let overflow = core::mem::take(&mut lines.overflow);
        if !overflow && line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        lines.records += 1;
        let loc = Location { record: lines.records, line: lines.line };
        if overflow {
            self.report.records += 1;
            let message = format!("record larger than {} bytes", self.options.max_record_bytes);
            return self.error(loc, message);
        }
        self.record(line, loc, Ctx::Any);
    }

    fn csv(&mut self, (record, line): CsvRecord, csv: &mut Csv) {
        let Some(columns) = &csv.columns else {
            let header = match record {
                Ok(h) => h,
                Err(e) => {
                    csv.columns = Some(BTreeMap::new());
                    return self.error(Location { record: 0, line }, format!("CSV header: {e}"));
                }
            };
            let columns: BTreeMap<String, usize> =
                header.iter().enumerate().map(|(i, h)| (langfuse::normalise_header(h), i)).rev().collect();
            if !langfuse::is_known_header(&columns) {
                csv.columns = Some(BTreeMap::new());
                return self.error(
                    Location { record: 0, line },
                    String::from(
                        "not an export farebox reads: not JSON, and the first line is no CSV header with \
                         Langfuse columns (id, traceId, model, startTime, usageDetails, totalCost, name)",
                    ),
                );
            }
            csv.width = header.len();
            csv.columns = Some(columns);
            return;
        };
        if columns.is_empty() {
            return;
        }
        csv.rows += 1;
        let loc = Location { record: csv.rows, line };
        match record {
            Ok(cells) if cells.len() == csv.width => {
                langfuse::csv_row(&CsvRow { columns, cells: &cells }, loc, self.scratch);
                self.flush(loc);
            }
            Ok(cells) => {
                self.report.records += 1;
                let message = format!("row has {} fields, the header has {}", cells.len(), csv.width);
                self.error(loc, message);
            }
            Err(e) => {
                self.report.records += 1;
                self.error(loc, e);
            }
        }
    }
}

fn append_capped(buf: &mut Vec<u8>, overflow: &mut bool, bytes: &[u8], max: usize) {
    if *overflow {
        return;
    }
    if buf.len() + bytes.len() > max {
        *overflow = true;
        *buf = Vec::new();
    } else {
        buf.extend_from_slice(bytes);
    }
}

/// Reads one JSON record of any shape: OTLP request or `resourceSpans`
/// element, an API page (its `data` elements, each read in turn), or a
/// Langfuse trace or observation.
fn dispatch(bytes: &[u8], loc: Location, out: &mut Output, depth: u8) {
    let obj = match RawObject::parse(bytes) {
        Ok(o) => o,
        Err(e) => return out.errors.push(e),
    };
    if obj.has("resourceSpans") || obj.has("resource_spans") {
        return otel::request(bytes, loc, out);
    }
    if ["scopeSpans", "scope_spans", "instrumentationLibrarySpans"].iter().any(|k| obj.has(k)) {
        return otel::resource_spans_text(bytes, loc, out);
    }
    if let (Some(data), false, 0) = (obj.get(&["data"]), obj.has("id"), depth) {
        let elements = match serde_json::from_str::<Vec<&RawValue>>(data.get()) {
            Ok(list) => list,
            Err(e) => return out.errors.push(format!("`data` should be an array: {e}")),
        };
        for (i, element) in elements.into_iter().enumerate() {
            let before = out.errors.len();
            dispatch(element.get().as_bytes(), loc, out, depth + 1);
            for e in &mut out.errors[before..] {
                *e = format!("data[{i}]: {e}");
            }
        }
        return;
    }
    langfuse::json_record(&obj, loc, out);
}
