//! A tiny command runner over `std::process`: every command runs from the repo
//! root, commands that do work are echoed (`$ cmd args`) to stderr first, and a
//! non-zero exit is an error naming the command.

use std::{
    ffi::{OsStr, OsString},
    fmt,
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
    thread,
};

use crate::Result;

/// The repository root: the parent of the xtask crate.
pub fn repo_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().expect("xtask lives inside the repo root").to_path_buf()
}

/// A command to run from the repo root.
pub struct Cmd {
    program: OsString,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
}

impl Cmd {
    pub fn new(program: impl AsRef<OsStr>) -> Cmd {
        Cmd { program: program.as_ref().to_owned(), args: Vec::new(), envs: Vec::new() }
    }

    /// The cargo that runs xtask (`$CARGO`, falling back to `cargo` on PATH).
    ///
    /// Note: `$CARGO` is the toolchain's own binary, not the rustup proxy, so it
    /// does not understand `+toolchain`; use `Cmd::new("cargo")` for that.
    pub fn cargo() -> Cmd {
        Cmd::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Cmd {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I>(mut self, args: I) -> Cmd
    where
        I: IntoIterator,
        I::Item: AsRef<OsStr>,
    {
        self.args.extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the command.
    pub fn env(mut self, name: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Cmd {
        self.envs.push((name.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Echoes the command, then runs it with stdin, stdout and stderr inherited.
    pub fn run(&self) -> Result<()> {
        eprintln!("$ {self}");
        let status = self.command().status().map_err(|err| format!("could not start `{self}`: {err}"))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("`{self}` failed ({status})").into())
        }
    }

    /// Runs the command quietly (no echo: meant for status queries such as
    /// `rustup target list`) with stdin closed, and returns its stdout.
    /// Its stderr is inherited.
    pub fn read(&self) -> Result<String> {
        let child = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|err| format!("could not start `{self}`: {err}"))?;
        self.finish(child.wait_with_output())
    }

    /// Echoes the command, runs it with `input` on stdin, and returns its stdout.
    /// Its stderr is inherited.
    pub fn read_with_stdin(&self, input: &[u8]) -> Result<String> {
        eprintln!("$ {self} <<< '{}'", String::from_utf8_lossy(input));
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|err| format!("could not start `{self}`: {err}"))?;
        let mut stdin = child.stdin.take().expect("stdin was piped");
        let input = input.to_vec();
        // Write from another thread so a child that prints before reading all
        // of its input cannot deadlock against us.
        let writer = thread::spawn(move || stdin.write_all(&input));
        let output = self.finish(child.wait_with_output())?;
        match writer.join() {
            Ok(Ok(())) => Ok(output),
            Ok(Err(err)) => Err(format!("could not write stdin of `{self}`: {err}").into()),
            Err(_) => Err(format!("stdin writer of `{self}` panicked").into()),
        }
    }

    fn finish(&self, output: std::io::Result<Output>) -> Result<String> {
        let output = output.map_err(|err| format!("`{self}` failed: {err}"))?;
        if !output.status.success() {
            return Err(format!("`{self}` failed ({})", output.status).into());
        }
        String::from_utf8(output.stdout).map_err(|err| format!("`{self}` printed non-UTF-8 output: {err}").into())
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.args(&self.args).envs(self.envs.iter().map(|(k, v)| (k, v))).current_dir(repo_root());
        command
    }
}

impl fmt::Display for Cmd {
    /// Shows the program by its file name (`cargo`, not the toolchain path) and
    /// quotes arguments that contain spaces or are empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let program = Path::new(&self.program).file_name().unwrap_or(&self.program);
        write!(f, "{}", program.to_string_lossy())?;
        for arg in &self.args {
            let arg = arg.to_string_lossy();
            if arg.is_empty() || arg.contains(char::is_whitespace) {
                write!(f, " '{arg}'")?;
            } else {
                write!(f, " {arg}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_shows_program_file_name_and_quotes() {
        let cmd = Cmd::new("/somewhere/bin/cargo").args(["fmt", "--all", "a b", ""]);
        assert_eq!(cmd.to_string(), "cargo fmt --all 'a b' ''");
    }

    #[test]
    fn repo_root_holds_the_workspace_manifest() {
        assert!(repo_root().join("Cargo.toml").is_file());
        assert!(repo_root().join("xtask").is_dir());
    }

    #[test]
    fn read_and_read_with_stdin_capture_stdout() {
        assert_eq!(Cmd::new("echo").arg("hi").read().unwrap(), "hi\n");
        assert_eq!(Cmd::new("cat").read_with_stdin(b"piped").unwrap(), "piped");
        assert!(Cmd::new("false").read().is_err());
        assert!(Cmd::new("false").run().is_err());
    }
}
