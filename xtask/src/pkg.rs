//! `cargo xtask pkg`: builds the npm package `farebox` in place, so that
//! `pkg/` is then an installable package directory (`npm install ./pkg`).
//!
//! The plain route, with no tool that downloads binaries at run time
//! (wasm-pack would): `cargo build` for wasm32-unknown-unknown, `wasm-bindgen --target web` (one output that Node,
//! bundlers and workerd all load: each entry point in `pkg/js/` hands it the
//! module its own way), then npm binaryen's `wasm-opt -Oz` (never Debian's);
//! twice: the main module, and farebox-wasm without `pricing` as the module
//! of the counting-only entry `farebox/tokenizer`.
//! Generated, git-ignored: `pkg/dist/` (modules, glue, the JS layer and its
//! typings) and `pkg/vocab/` (the vocabulary files and their modules).

use std::fs;
use std::path::{Path, PathBuf};

use farebox_core::tokens::Vocabulary;

use crate::cmd::{repo_root, Cmd};
use crate::ensure::{ensure_apt, ensure_cargo_install, ensure_npm_deps, ensure_npm_tool, ensure_rustup_target};
use crate::Result;

pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
const BINARYEN_VERSION: &str = "132.0.0";
const TARGET: &str = "wasm32-unknown-unknown";

/// Rust's opt-level for the package's module: "s" counts at ~90 % of the
/// workspace's 3 and is 10 % smaller (brotli); "z" is 6 % smaller still but
/// counts at half the speed. docs/PERFORMANCE.md has the measurement.
const OPT_LEVEL: &str = "s";

/// The opt-level of the `farebox/tokenizer` module (farebox-wasm without its
/// `pricing` feature): without the price table the code is small, so 3 costs
/// 0.4 KiB (brotli) over "s" and counts 10-15 % faster; "z" is both larger
/// and half as fast. docs/PERFORMANCE.md has the measurement.
const TOKENIZER_OPT_LEVEL: &str = "3";

/// The vocabularies the package ships (every one core knows; o200k_harmony
/// reads o200k_base's), by name.
pub const VOCABULARIES: [&str; Vocabulary::ALL.len()] = {
    let mut names = [""; Vocabulary::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = Vocabulary::ALL[i].name();
        i += 1;
    }
    names
};

/// The hand-written JS layer, copied into `dist/` beside wasm-bindgen's glue.
/// `tokens.js` is the counting layer both entries share; the `tokenizer.*`
/// files are the `farebox/tokenizer` entry.
const JS_FILES: [&str; 15] = [
    "api.js",
    "tokens.js",
    "host.js",
    "host.node.js",
    "host.browser.js",
    "host.workerd.js",
    "node.js",
    "browser.js",
    "workerd.js",
    "index.d.ts",
    "tokenizer.js",
    "tokenizer.d.ts",
    "tokenizer.node.js",
    "tokenizer.browser.js",
    "tokenizer.workerd.js",
];

pub fn run(args: &[String]) -> Result<()> {
    if let Some(extra) = args.first() {
        return Err(format!("`pkg` takes no arguments, got `{extra}`").into());
    }
    build()?;
    print_sizes()
}

/// Where npm-installed build tools live (git-ignored, shared by every checkout's builds).
pub fn tools_dir() -> PathBuf {
    repo_root().join("target").join("npm-tools")
}

/// The package directory.
pub fn pkg_dir() -> PathBuf {
    repo_root().join("pkg")
}

/// Installs what the build needs, each only if missing.
pub fn prerequisites() -> Result<()> {
    ensure_rustup_target(TARGET)?;
    // Without --locked: its lockfile pins a webpki-roots the registry lacks.
    ensure_cargo_install("wasm-bindgen-cli", WASM_BINDGEN_VERSION, &[])?;
    ensure_npm_tool(&tools_dir(), "binaryen", BINARYEN_VERSION)
}

/// The plain route from a crate to a browser module, shared by the package
/// and the web app: `cargo build` for wasm32 at `opt_level`, `wasm-bindgen
/// --target web` into `out_dir` as `<out_name>.js` + `<out_name>_bg.wasm`,
/// then npm binaryen's `wasm-opt -Oz` (never Debian's). Installs what it
/// needs first.
pub fn bindgen(package: &str, opt_level: &str, out_dir: &Path, out_name: &str) -> Result<()> {
    bindgen_with(package, &[], opt_level, out_dir, out_name)
}

/// [`bindgen`] with extra `cargo build` arguments (features).
fn bindgen_with(package: &str, cargo_args: &[&str], opt_level: &str, out_dir: &Path, out_name: &str) -> Result<()> {
    prerequisites()?;
    Cmd::cargo()
        .args(["build", "--release", "--target", TARGET, "-p", package])
        .args(cargo_args)
        .arg("--config")
        .arg(opt_level_config(opt_level))
        .run()?;
    let wasm =
        repo_root().join("target").join(TARGET).join("release").join(format!("{}.wasm", package.replace('-', "_")));
    Cmd::new("wasm-bindgen")
        .args(["--target", "web", "--out-name", out_name, "--out-dir"])
        .arg(out_dir)
        .arg(&wasm)
        .run()?;
    let module = out_dir.join(format!("{out_name}_bg.wasm"));
    Cmd::new(tools_dir().join("node_modules").join(".bin").join("wasm-opt"))
        .args(["-Oz", "--strip-debug", "--strip-producers"])
        .arg(&module)
        .arg("-o")
        .arg(&module)
        .run()
}

/// The `--config` that sets the release opt-level: TOML wants the numbers
/// bare and "s" / "z" quoted.
fn opt_level_config(opt_level: &str) -> String {
    if opt_level.parse::<u8>().is_ok() {
        format!("profile.release.opt-level={opt_level}")
    } else {
        format!("profile.release.opt-level=\"{opt_level}\"")
    }
}

/// Builds `pkg/dist/` and `pkg/vocab/`.
pub fn build() -> Result<()> {
    let root = repo_root();
    let pkg = pkg_dir();
    let dist = pkg.join("dist");
    if dist.exists() {
        fs::remove_dir_all(&dist)?;
    }
    bindgen("farebox-wasm", OPT_LEVEL, &dist, "farebox_wasm")?;
    // The same crate without `pricing`: the counting exports only.
    bindgen_with("farebox-wasm", &["--no-default-features"], TOKENIZER_OPT_LEVEL, &dist, "farebox_tokenizer")?;
    // wasm-bindgen's own typings describe the internal bindings; index.d.ts is the API.
    for module in ["farebox_wasm", "farebox_tokenizer"] {
        fs::remove_file(dist.join(format!("{module}.d.ts")))?;
        fs::remove_file(dist.join(format!("{module}_bg.wasm.d.ts")))?;
    }
    for file in JS_FILES {
        fs::copy(pkg.join("js").join(file), dist.join(file))?;
    }
    write_vocabularies(&root, &pkg.join("vocab"))?;
    write_price_history(&root, &pkg.join("prices"))?;
    println!("built the npm package in {}", pkg.display());
    Ok(())
}

/// Copies the vocabulary files and writes, for each, the module
/// `farebox/vocab/<name>` exports its bytes from, one per runtime: Node reads
/// the file, browsers fetch it (the URL literal makes bundlers emit it),
/// workerd imports it as a Data module (wrangler's rule for `.bin`).
fn write_vocabularies(root: &Path, out: &Path) -> Result<()> {
    recreate(out)?;
    for name in VOCABULARIES {
        let source = root.join("core").join("data").join("vocab").join(format!("{name}.bin"));
        write_byte_asset(&source, out, name, &format!("the {name} vocabulary"))?;
    }
    write_typings(out, "vocabulary", "A farebox vocabulary file's bytes: pass them to `registerEncoding`.")
}

/// Copies the price history (`core/data/price_history.json`) as
/// `prices/history.bin` (loaded by `loadPriceHistory()`, never by a call
/// priced today) and writes the modules `farebox/prices/history` exports its
/// bytes from, as for a vocabulary (`.bin`: workerd's Data-module rule).
fn write_price_history(root: &Path, out: &Path) -> Result<()> {
    recreate(out)?;
    let source = root.join("core").join("data").join("price_history.json");
    write_byte_asset(&source, out, "history", "the price history")?;
    write_typings(out, "history", "The price history file's bytes: pass them to `loadPriceHistory`.")
}

fn recreate(dir: &Path) -> Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)?;
    }
    fs::create_dir_all(dir)?;
    Ok(())
}

/// Copies `source` as `out/<name>.bin` beside the modules that export its bytes.
fn write_byte_asset(source: &Path, out: &Path, name: &str, what: &str) -> Result<()> {
    fs::copy(source, out.join(format!("{name}.bin")))?;
    for (file, text) in byte_modules(name, what) {
        fs::write(out.join(file), text)?;
    }
    Ok(())
}

/// `out/<name>.d.ts`: the typings those modules share (a default `Uint8Array`).
fn write_typings(out: &Path, name: &str, doc: &str) -> Result<()> {
    let text = format!("/** {doc} */\ndeclare const {name}: Uint8Array;\nexport default {name};\n");
    fs::write(out.join(format!("{name}.d.ts")), text)?;
    Ok(())
}

/// `(file name, text)` of the three modules that export the bytes of
/// `name.bin` (`what` names it in a comment and an error).
fn byte_modules(name: &str, what: &str) -> [(String, String); 3] {
    let header = format!("// The bytes of {what} (generated by `cargo xtask pkg`).\n");
    [
        (
            format!("{name}.node.js"),
            format!(
                "{header}import {{ readFileSync }} from 'node:fs';\n\n\
                 export default new Uint8Array(readFileSync(new URL('./{name}.bin', import.meta.url)));\n"
            ),
        ),
        (
            format!("{name}.js"),
            format!(
                "{header}const url = new URL('./{name}.bin', import.meta.url);\n\
                 const response = await fetch(url);\n\
                 if (!response.ok) throw new Error(`farebox: fetching ${{url}} failed: HTTP ${{response.status}}`);\n\n\
                 export default new Uint8Array(await response.arrayBuffer());\n"
            ),
        ),
        (
            format!("{name}.workerd.js"),
            format!("{header}import data from './{name}.bin';\n\nexport default new Uint8Array(data);\n"),
        ),
    ]
}

/// `cargo xtask test` step: builds the package as `cargo xtask pkg` does.
pub fn build_step() -> Result<()> {
    build()
}

/// `cargo xtask test` step: the node --test suites in `pkg/test/`, which
/// import the built package by name (`pkg/test/node_modules/farebox` links to
/// `pkg/`), so they test what `npm install` would give: the API in Node, a
/// Vite build in headless Chromium (`vite.test.mjs`) and workerd
/// (`workerd.test.mjs`, through miniflare).
pub fn node_tests() -> Result<()> {
    let dir = pkg_dir().join("test");
    ensure_apt(&["chromium"])?;
    ensure_npm_deps(&dir)?;
    let mut suites: Vec<PathBuf> = fs::read_dir(&dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".test.mjs")))
        .collect();
    suites.sort();
    if suites.is_empty() {
        return Err(format!("no *.test.mjs suites in {}", dir.display()).into());
    }
    Cmd::new("node").arg("--test").args(suites).run()
}

/// `cargo xtask test` step: the bindings' wasm-bindgen tests, in Node
/// (`tests/node.rs`) and in headless Chromium (`tests/browser.rs`; Debian's
/// chromium and chromium-driver, arguments in `pkg/webdriver.json`).
pub fn wasm_tests() -> Result<()> {
    prerequisites()?;
    ensure_apt(&["chromium", "chromium-driver"])?;
    // `env` sets the runner for this one cargo; `--tests` skips the doc-tests,
    // which wasm32 would run three times over.
    Cmd::new("env")
        .arg("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner")
        .arg(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["test", "--target", TARGET, "-p", "farebox-wasm", "--tests"])
        .run()
}

/// Prints raw, gzip and brotli sizes of what the package ships (node's zlib:
/// the same compressors servers use).
pub fn print_sizes() -> Result<()> {
    let pkg = pkg_dir();
    let mut files = vec![pkg.join("dist").join("farebox_wasm_bg.wasm")];
    files.extend(
        ["browser.js", "host.browser.js", "api.js", "tokens.js", "host.js", "farebox_wasm.js"]
            .map(|f| pkg.join("dist").join(f)),
    );
    // What `farebox/tokenizer` loads in a browser instead (tokens.js and the hosts are shared).
    files.extend(
        ["farebox_tokenizer_bg.wasm", "farebox_tokenizer.js", "tokenizer.browser.js", "tokenizer.js"]
            .map(|f| pkg.join("dist").join(f)),
    );
    files.extend(VOCABULARIES.map(|v| pkg.join("vocab").join(format!("{v}.bin"))));
    files.push(pkg.join("prices").join("history.bin"));
    Cmd::new("node").arg(pkg.join("bench").join("sizes.mjs")).args(files).run()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_vocabulary_module_names_its_own_file() {
        for name in VOCABULARIES {
            for (file, text) in byte_modules(name, "v") {
                assert!(file.starts_with(name), "{file}");
                assert!(text.contains(&format!("'./{name}.bin'")), "{file}: {text}");
                assert!(text.contains("export default"), "{file}");
            }
        }
    }

    #[test]
    fn opt_levels_are_written_as_cargo_reads_them() {
        assert_eq!(opt_level_config("3"), "profile.release.opt-level=3");
        assert_eq!(opt_level_config("s"), "profile.release.opt-level=\"s\"");
    }

    #[test]
    fn the_js_layer_and_the_exports_map_agree() {
        let manifest = fs::read_to_string(pkg_dir().join("package.json")).unwrap();
        let entries = ["node.js", "browser.js", "workerd.js"];
        for file in JS_FILES.iter().filter(|f| entries.iter().any(|e| f.ends_with(e)) && !f.starts_with("host.")) {
            assert!(manifest.contains(&format!("./dist/{file}")), "package.json exports no ./dist/{file}");
        }
        // The hand-written layer names every vocabulary too: counting (tokens.js),
        // fetching in browsers (host.browser.js) and the typings (index.d.ts).
        let js = |file: &str| fs::read_to_string(pkg_dir().join("js").join(file)).unwrap();
        let (tokens, host, types) = (js("tokens.js"), js("host.browser.js"), js("index.d.ts"));
        for name in VOCABULARIES {
            assert!(manifest.contains(&format!("\"./vocab/{name}\"")), "package.json exports no ./vocab/{name}");
            assert!(tokens.contains(&format!("'{name}'")), "tokens.js does not list {name}");
            assert!(host.contains(&format!("../vocab/{name}.bin")), "host.browser.js does not fetch {name}");
            assert!(types.contains(&format!("| '{name}'")), "index.d.ts does not name {name}");
        }
        assert!(pkg_dir().join("js").join("index.d.ts").is_file());
    }
}
