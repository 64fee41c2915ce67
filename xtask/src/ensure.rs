//! Idempotent installers for the tools the verbs need. Each `ensure_*` checks
//! first and installs only what is missing, printing one line per thing:
//! `<what>: ok (already there)` or `<what>: installing ...`.
//!
//! Rustup items apply to the active toolchain (the one running `cargo xtask`).

use std::path::Path;

use crate::{cmd::Cmd, Result};

/// Ensures the rustup target `name` (e.g. `wasm32-unknown-unknown`) is installed,
/// running `rustup target add <name>` only if `rustup target list --installed`
/// lacks it.
pub fn ensure_rustup_target(name: &str) -> Result<()> {
    let installed = Cmd::new("rustup").args(["target", "list", "--installed"]).read()?;
    let have = installed.lines().any(|line| line.trim() == name);
    ensure(&format!("rustup target {name}"), have, Cmd::new("rustup").args(["target", "add", name]))
}

/// Ensures the rustup component `name` (e.g. `rustfmt`, `clippy`) is installed,
/// running `rustup component add <name>` only if it is missing.
pub fn ensure_rustup_component(name: &str) -> Result<()> {
    let installed = Cmd::new("rustup").args(["component", "list", "--installed"]).read()?;
    let have = has_rustup_item(&installed, name, &host_triple()?);
    ensure(&format!("rustup component {name}"), have, Cmd::new("rustup").args(["component", "add", name]))
}

/// Ensures the rustup toolchain `name` (e.g. `nightly`) is installed, running
/// `rustup toolchain install <name> --profile minimal` only if it is missing.
pub fn ensure_rustup_toolchain(name: &str) -> Result<()> {
    let installed = Cmd::new("rustup").args(["toolchain", "list"]).read()?;
    let have = has_rustup_item(&installed, name, &host_triple()?);
    ensure(
        &format!("rustup toolchain {name}"),
        have,
        Cmd::new("rustup").args(["toolchain", "install", name, "--profile", "minimal"]),
    )
}

/// Ensures version `version` of the binary crate `krate` is installed, running
/// `cargo install <krate> --version <version> <extra_args...>` only if
/// `cargo install --list` does not show exactly that version. `extra_args` are
/// for flags such as `--locked` (some crates need it, some break with it).
pub fn ensure_cargo_install(krate: &str, version: &str, extra_args: &[&str]) -> Result<()> {
    let installed = Cmd::cargo().args(["install", "--list"]).read()?;
    let have = has_cargo_install(&installed, krate, version);
    let install = Cmd::cargo().args(["install", krate, "--version", version]).args(extra_args.iter());
    ensure(&format!("cargo install {krate} {version}"), have, install)
}

/// Ensures the dependencies of the npm project in `dir` are installed, from
/// its committed package-lock.json, only if its `node_modules` is missing or
/// older than the lockfile. npm rewrites `node_modules/.package-lock.json` on
/// every install, after the lockfile; a lockfile newer than it was changed
/// since (a commit adding a dependency, a merge), so the locked versions are
/// installed again.
///
/// This is `npm install`, not `npm ci`: the registry these machines reach
/// does not serve every platform's optional packages (rollup's
/// `@rollup/rollup-android-*` and the like), so the lockfile lacks them and
/// `npm ci` refuses it as out of sync; `npm install` installs the locked
/// versions of everything this platform needs.
pub fn ensure_npm_deps(dir: &Path) -> Result<()> {
    let install = Cmd::new("npm").args(["install", "--no-audit", "--no-fund", "--prefix"]).arg(dir);
    ensure(&format!("npm dependencies in {}", dir.display()), npm_deps_current(dir), install)
}

/// Whether `dir/node_modules` was installed from the lockfile as it is now.
fn npm_deps_current(dir: &Path) -> bool {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    match modified(&dir.join("package-lock.json")) {
        Some(locked) => modified(&dir.join("node_modules").join(".package-lock.json")).is_some_and(|i| i >= locked),
        None => dir.join("node_modules").is_dir(),
    }
}

/// Ensures the Debian packages `names` are installed, running `apt-get update`
/// and then `apt-get install -y` for the missing ones only.
pub fn ensure_apt(names: &[&str]) -> Result<()> {
    let mut missing = Vec::new();
    for name in names {
        let status = Cmd::new("dpkg-query").args(["-W", "-f=${Status}", name]).read().unwrap_or_default();
        if is_installed(&status) {
            println!("apt {name}: ok (already there)");
        } else {
            missing.push(*name);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    println!("apt {}: installing ...", missing.join(" "));
    Cmd::new("apt-get").arg("update").run()?;
    Cmd::new("apt-get").args(["install", "-y", "--no-install-recommends"]).args(&missing).run()
}

/// Ensures `python3 -m pip` runs (pip downloads pinned wheels from PyPI, a
/// registry; nothing is installed with it): Debian's `python3-pip` if not.
pub fn ensure_pip() -> Result<()> {
    if Cmd::new("python3").args(["-m", "pip", "--version"]).read().is_ok() {
        return Ok(());
    }
    ensure_apt(&["python3-pip"])
}

/// Whether a `dpkg-query -W -f=${Status}` answer means installed.
fn is_installed(status: &str) -> bool {
    status.trim() == "install ok installed"
}

/// Ensures version `version` of the npm package `name` is installed under
/// `prefix` (`prefix/node_modules/<name>`), running `npm install --prefix
/// <prefix> <name>@<version>` only if that exact version is not there. For
/// tools (binaryen's `wasm-opt`) kept out of the repo's package files.
pub fn ensure_npm_tool(prefix: &Path, name: &str, version: &str) -> Result<()> {
    let manifest = prefix.join("node_modules").join(name).join("package.json");
    let have = std::fs::read_to_string(&manifest).is_ok_and(|text| has_npm_version(&text, version));
    std::fs::create_dir_all(prefix)?;
    let install = Cmd::new("npm")
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(prefix)
        .arg(format!("{name}@{version}"));
    ensure(&format!("npm {name} {version}"), have, install)
}

/// Whether a package.json text declares exactly `version`.
fn has_npm_version(manifest: &str, version: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(manifest)
        .is_ok_and(|v| v.get("version").and_then(serde_json::Value::as_str) == Some(version))
}

/// Prints the status line for `what` and runs `install` if it is not `there`.
fn ensure(what: &str, there: bool, install: Cmd) -> Result<()> {
    if there {
        println!("{what}: ok (already there)");
        Ok(())
    } else {
        println!("{what}: installing ...");
        install.run().map_err(|err| format!("installing {what} failed: {err}").into())
    }
}

/// The host triple of the active toolchain, from `rustc -vV`.
fn host_triple() -> Result<String> {
    let version = Cmd::new("rustc").arg("-vV").read()?;
    version
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_owned())
        .ok_or_else(|| "`rustc -vV` printed no `host:` line".into())
}

/// Whether a `rustup component list --installed` or `rustup toolchain list`
/// listing has `name`, either bare or as `<name>-<host>`; anything after the
/// first word (such as `(active, default)`) is ignored.
fn has_rustup_item(listing: &str, name: &str, host: &str) -> bool {
    let with_host = format!("{name}-{host}");
    listing.lines().filter_map(|line| line.split_whitespace().next()).any(|item| item == name || item == with_host)
}

/// Whether a `cargo install --list` listing has `krate` at exactly `version`.
/// Its package lines look like `cargo-fuzz v0.13.2:` (or `name vX (source):`);
/// the binaries they install follow, indented.
fn has_cargo_install(listing: &str, krate: &str, version: &str) -> bool {
    let want_version = format!("v{version}");
    listing.lines().filter(|line| !line.starts_with(char::is_whitespace)).any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some(krate) && words.next().map(|v| v.trim_end_matches(':')) == Some(want_version.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_deps_are_reinstalled_when_the_lockfile_is_newer() {
        use std::fs::{self, File};
        use std::time::{Duration, SystemTime};
        let dir = std::env::temp_dir().join(format!("xtask-npm-deps-{}", std::process::id()));
        fs::create_dir_all(dir.join("node_modules")).unwrap();
        assert!(npm_deps_current(&dir), "no lockfile: node_modules is enough");
        let at = |path: std::path::PathBuf, secs: u64| {
            File::create(&path).unwrap().set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs)).unwrap()
        };
        at(dir.join("package-lock.json"), 2_000_000_000);
        assert!(!npm_deps_current(&dir), "never installed by npm");
        at(dir.join("node_modules").join(".package-lock.json"), 2_000_000_001);
        assert!(npm_deps_current(&dir));
        at(dir.join("package-lock.json"), 2_000_000_002);
        assert!(!npm_deps_current(&dir), "the lockfile changed since");
        fs::remove_dir_all(&dir).unwrap();
    }

    const HOST: &str = "x86_64-unknown-linux-gnu";

    #[test]
    fn rustup_components_match_bare_or_with_host() {
        let listing = "cargo-x86_64-unknown-linux-gnu\nclippy-x86_64-unknown-linux-gnu\n\
                       rust-docs-x86_64-unknown-linux-gnu\nrustfmt\n";
        assert!(has_rustup_item(listing, "clippy", HOST));
        assert!(has_rustup_item(listing, "rustfmt", HOST));
        assert!(!has_rustup_item(listing, "rust", HOST));
        assert!(!has_rustup_item(listing, "rust-src", HOST));
    }

    #[test]
    fn rustup_toolchains_ignore_annotations_and_dated_channels() {
        let listing = "stable-x86_64-unknown-linux-gnu (active, default)\n\
                       nightly-2025-01-01-x86_64-unknown-linux-gnu\n";
        assert!(has_rustup_item(listing, "stable", HOST));
        assert!(!has_rustup_item(listing, "nightly", HOST));
        let listing = format!("{listing}nightly-{HOST}\n");
        assert!(has_rustup_item(&listing, "nightly", HOST));
    }

    #[test]
    fn dpkg_status_means_installed_only_when_installed() {
        assert!(is_installed("install ok installed"));
        assert!(!is_installed("deinstall ok config-files"));
        assert!(!is_installed(""));
    }

    #[test]
    fn npm_versions_must_match_exactly() {
        assert!(has_npm_version(r#"{"name":"binaryen","version":"132.0.0"}"#, "132.0.0"));
        assert!(!has_npm_version(r#"{"name":"binaryen","version":"123.0.0"}"#, "132.0.0"));
        assert!(!has_npm_version("not json", "132.0.0"));
    }

    #[test]
    fn cargo_install_needs_the_exact_version() {
        let listing = "cargo-fuzz v0.13.2:\n    cargo-fuzz\n\
                       wasm-bindgen-cli v0.2.130 (registry+https://example):\n    wasm-bindgen\n";
        assert!(has_cargo_install(listing, "cargo-fuzz", "0.13.2"));
        assert!(!has_cargo_install(listing, "cargo-fuzz", "0.13.1"));
        assert!(!has_cargo_install(listing, "cargo-fuzz", "0.13"));
        assert!(has_cargo_install(listing, "wasm-bindgen-cli", "0.2.130"));
        assert!(!has_cargo_install(listing, "wasm-bindgen", "0.2.130"));
        assert!(!has_cargo_install("", "cargo-fuzz", "0.13.2"));
    }
}
