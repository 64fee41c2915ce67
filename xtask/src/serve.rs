//! `cargo xtask serve [--port N] [--no-build]`: builds the web app and serves
//! it on http://127.0.0.1:8080 (loopback only) until interrupted.

use crate::{web, Result};

pub fn run(args: &[String]) -> Result<()> {
    let mut port = 8080u16;
    let mut build = true;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().ok_or("`--port` needs a number")?;
                port = value.parse().map_err(|_| format!("`--port {value}`: not a port number"))?;
            }
            "--no-build" => build = false,
            other => return Err(format!("`serve` takes `--port N` and `--no-build`, got `{other}`").into()),
        }
    }
    if build || !web::dist_dir().join("index.html").is_file() {
        web::build()?;
        web::print_sizes()?;
    }
    let addr = web::spawn_server(web::dist_dir(), &format!("127.0.0.1:{port}"))?;
    println!("farebox is being served at http://{addr}/  (Ctrl-C to stop)");
    loop {
        std::thread::park();
    }
}
