//! Generated files that are committed (`core/data/…`): one way to write them
//! or, with `--check`, to verify that the committed copies are current. The
//! `prices`, `vocab` and `estimates` verbs only say how to generate.

use std::fs;
use std::path::PathBuf;

use crate::Result;

/// Runs a generator verb: `cargo xtask <verb> [--check]`. `generate` returns
/// each file's path (relative to the repository root) and its contents.
pub fn run(verb: &str, args: &[String], generate: impl FnOnce() -> Result<Vec<(String, Vec<u8>)>>) -> Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => return Err(format!("usage: cargo xtask {verb} [--check]").into()),
    };
    let root = crate::cmd::repo_root();
    for (relative, contents) in generate()? {
        let path: PathBuf = root.join(&relative);
        if check {
            if fs::read(&path).ok().as_deref() != Some(&contents[..]) {
                return Err(format!(
                    "{relative} is not what `cargo xtask {verb}` generates: run it and commit the file"
                )
                .into());
            }
            println!("{verb}: {relative} is up to date");
        } else {
            fs::create_dir_all(path.parent().ok_or("no parent folder")?)?;
            fs::write(&path, &contents)?;
            println!("{verb}: wrote {relative} ({} bytes)", contents.len());
        }
    }
    Ok(())
}
