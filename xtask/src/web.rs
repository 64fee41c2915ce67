//! The web app (`web/` + the top-level `index.html`): its build, the local
//! static server `cargo xtask serve` runs, and its tests.
//!
//! Build (into the git-ignored `web/dist/`): the wasm-bindgen route shared
//! with the npm package ([`crate::pkg::bindgen`]), then `index.html`, the
//! hand-written files of `web/static/`, and the tokenizer vocabularies the
//! Web Worker fetches on first use. `sw.js` gets the build's file list and a
//! version (a hash of every file), so a new build replaces the offline cache.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::thread;

use crate::cmd::{repo_root, Cmd};
use crate::ensure::{ensure_apt, ensure_npm_deps};
use crate::pkg::{bindgen, VOCABULARIES};
use crate::Result;

/// Rust's opt-level for the app's module: the package's measured choice
/// (docs/PERFORMANCE.md, "The module's opt-level"): the worker counts tokens
/// at ~90 % of opt-level 3 in a 10 % smaller download.
const OPT_LEVEL: &str = "s";

pub fn web_dir() -> PathBuf {
    repo_root().join("web")
}

pub fn dist_dir() -> PathBuf {
    web_dir().join("dist")
}

/// Builds `web/dist/`.
pub fn build() -> Result<()> {
    let root = repo_root();
    let dist = dist_dir();
    if dist.exists() {
        fs::remove_dir_all(&dist)?;
    }
    bindgen("farebox-web", OPT_LEVEL, &dist, "app")?;
    for internal in ["app.d.ts", "app_bg.wasm.d.ts"] {
        fs::remove_file(dist.join(internal))?;
    }
    fs::copy(root.join("index.html"), dist.join("index.html"))?;
    for file in ["boot.js", "worker.js", "style.css"] {
        fs::copy(web_dir().join("static").join(file), dist.join(file))?;
    }
    fs::create_dir_all(dist.join("vocab"))?;
    for name in VOCABULARIES {
        let file = format!("{name}.bin");
        fs::copy(root.join("core").join("data").join("vocab").join(&file), dist.join("vocab").join(&file))?;
    }
    // The price history: fetched by the page only for a dated question.
    fs::create_dir_all(dist.join("prices"))?;
    fs::copy(root.join("core").join("data").join("price_history.json"), dist.join("prices").join("history.bin"))?;
    let template = fs::read_to_string(web_dir().join("static").join("sw.js"))?;
    fs::write(dist.join("sw.js"), service_worker(&template, &dist)?)?;
    println!("built the web app in {}", dist.display());
    Ok(())
}

/// `sw.js` with the build's files and a version that changes with any of
/// them. Of the vocabularies only o200k_base is listed (every estimate needs
/// it; the page's worker fetches it at start, before the service worker
/// controls the page); the others, and the price history, are cached when
/// first fetched.
fn service_worker(template: &str, dist: &Path) -> Result<String> {
    let mut files = Vec::new();
    collect_files(dist, dist, &mut files)?;
    files.retain(|f| (!f.starts_with("vocab/") || f == "vocab/o200k_base.bin") && !f.starts_with("prices/"));
    files.sort();
    let mut hasher = DefaultHasher::new();
    for f in &files {
        f.hash(&mut hasher);
        fs::read(dist.join(f))?.hash(&mut hasher);
    }
    let mut precache = vec!["./".to_string()];
    precache.extend(files.iter().map(|f| format!("./{f}")));
    Ok(template
        .replace("'__FAREBOX_VERSION__'", &format!("'{:016x}'", hasher.finish()))
        .replace("__FAREBOX_FILES__", &serde_json::to_string(&precache)?))
}

fn collect_files(base: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(base, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

/// Prints raw, gzip and brotli sizes of what a first visit downloads.
pub fn print_sizes() -> Result<()> {
    let dist = dist_dir();
    let mut files: Vec<PathBuf> = ["app_bg.wasm", "app.js", "boot.js", "worker.js", "style.css", "index.html"]
        .iter()
        .map(|f| dist.join(f))
        .collect();
    files.push(dist.join("vocab").join("o200k_base.bin"));
    Cmd::new("node").arg(repo_root().join("pkg").join("bench").join("sizes.mjs")).args(files).run()
}

/// A static file server for `root` on `addr` (loopback), one thread per
/// connection. Returns the bound address (port 0 picks a free one) and
/// serves in the background until the process ends.
pub fn spawn_server(root: PathBuf, addr: &str) -> Result<SocketAddr> {
    let listener = TcpListener::bind(addr)?;
    let bound = listener.local_addr()?;
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            thread::spawn(move || {
                let _ = respond(&root, stream);
            });
        }
    });
    Ok(bound)
}

/// Answers one HTTP/1.1 request (GET or HEAD) and closes the connection.
fn respond(root: &Path, mut stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; the server needs none of them.
    let mut line = String::new();
    while reader.read_line(&mut line)? > 2 {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let (status, content_type, body) = match (method, resolve(root, target)) {
        ("GET" | "HEAD", Some(path)) => match fs::read(&path) {
            Ok(bytes) => ("200 OK", content_type(&path), bytes),
            Err(_) => ("404 Not Found", "text/plain; charset=utf-8", b"not found\n".to_vec()),
        },
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain; charset=utf-8", b"not found\n".to_vec()),
        _ => ("405 Method Not Allowed", "text/plain; charset=utf-8", b"GET or HEAD only\n".to_vec()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n\
         X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()
}

/// The file a request target names under `root`: the query is dropped, `/`
/// is `index.html`, and anything that would leave `root` is refused.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let relative = Path::new(path.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        return None;
    }
    let full = root.join(relative);
    Some(if path.ends_with('/') || full.is_dir() { full.join("index.html") } else { full })
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "application/octet-stream",
    }
}

/// A GET on the server, for the smoke check: `(status line, content type, body)`.
pub fn get(addr: SocketAddr, path: &str) -> Result<(String, String, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr)?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").ok_or("no end of headers")?;
    let head = String::from_utf8_lossy(&response[..split]).to_string();
    let status = head.lines().next().unwrap_or("").to_string();
    let content_type = head.lines().find_map(|l| l.strip_prefix("Content-Type: ")).unwrap_or("").to_string();
    Ok((status, content_type, response[split + 4..].to_vec()))
}

/// `cargo xtask test` step: builds the app, serves it on a free loopback
/// port, checks that the server answers with the types browsers insist on,
/// then runs the browser tests: `node --test web/test/` (Playwright driving
/// Debian's Chromium) with `FAREBOX_URL` set.
pub fn e2e() -> Result<()> {
    build()?;
    ensure_apt(&["chromium"])?;
    let addr = spawn_server(dist_dir(), "127.0.0.1:0")?;
    for (path, expected) in
        [("/", "text/html"), ("/app_bg.wasm", "application/wasm"), ("/worker.js", "text/javascript")]
    {
        let (status, content_type, body) = get(addr, path)?;
        if !status.contains("200") || !content_type.starts_with(expected) || body.is_empty() {
            return Err(format!("GET {path}: `{status}`, `{content_type}`, {} bytes", body.len()).into());
        }
    }
    let test_dir = web_dir().join("test");
    ensure_npm_deps(&test_dir)?;
    Cmd::new("env")
        .arg(format!("FAREBOX_URL=http://{addr}/"))
        .arg("node")
        .arg("--test")
        .arg("--test-concurrency=1")
        .arg(test_dir.join("e2e.test.mjs"))
        .run()
}

/// `cargo xtask test` step: the component tests (`web/tests/`) in headless
/// Chromium through wasm-bindgen-test.
pub fn component_tests() -> Result<()> {
    crate::pkg::prerequisites()?;
    ensure_apt(&["chromium", "chromium-driver"])?;
    Cmd::new("env")
        .arg("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner")
        .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--target", "wasm32-unknown-unknown", "-p", "farebox-web", "--tests"])
        .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_inside_the_root_only() {
        let root = Path::new("/srv/app");
        assert_eq!(resolve(root, "/app.js?v=1"), Some(root.join("app.js")));
        assert_eq!(resolve(root, "/vocab/o200k_base.bin"), Some(root.join("vocab/o200k_base.bin")));
        assert_eq!(resolve(root, "/"), Some(root.join("index.html")));
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/vocab/../../x"), None);
    }

    #[test]
    fn browsers_get_the_types_they_require() {
        assert_eq!(content_type(Path::new("a_bg.wasm")), "application/wasm");
        assert!(content_type(Path::new("worker.js")).starts_with("text/javascript"));
    }

    #[test]
    fn the_service_worker_lists_the_build_and_versions_it() {
        let dir = std::env::temp_dir().join(format!("farebox-sw-{}", std::process::id()));
        fs::create_dir_all(dir.join("vocab")).unwrap();
        fs::write(dir.join("app.js"), "a").unwrap();
        fs::write(dir.join("vocab").join("x.bin"), "v").unwrap();
        fs::write(dir.join("vocab").join("o200k_base.bin"), "o").unwrap();
        let template = "const VERSION = '__FAREBOX_VERSION__';\nconst FILES = __FAREBOX_FILES__;";
        let first = service_worker(template, &dir).unwrap();
        assert!(first.contains(r#"const FILES = ["./","./app.js","./vocab/o200k_base.bin"];"#), "{first}");
        fs::write(dir.join("app.js"), "b").unwrap();
        let second = service_worker(template, &dir).unwrap();
        assert_ne!(first, second, "a changed file must change the version");
        fs::remove_dir_all(&dir).unwrap();
    }
}
