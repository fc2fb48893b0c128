//! Writes the test fixture as OpenMetrics text, anchored just before now.
//!
//! ```text
//! modeldeck-prom-fixture OUT.om [--end UNIX_SECONDS]
//! ```
//! Prints the anchor (`end=<seconds>`) on stdout.

use modeldeck_prometheus::fixture::Fixture;
use std::process::ExitCode;

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("modeldeck-prom-fixture: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> Result<(), String> {
    let usage = "usage: modeldeck-prom-fixture OUT.om [--end UNIX_SECONDS]";
    let mut out = None;
    let mut end = None;
    let mut it = args.into_iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--end" => {
                let v = it.next().ok_or(usage)?;
                end = Some(
                    v.parse::<i64>()
                        .map_err(|_| format!("--end {v:?} is not an integer"))?,
                );
            }
            "-h" | "--help" => return Err(usage.into()),
            _ if out.is_none() => out = Some(a),
            _ => return Err(format!("unexpected argument {a:?}; {usage}")),
        }
    }
    let out = out.ok_or(usage)?;
    let fixture = match end {
        Some(e) => Fixture::new(e)?,
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_err(|e| format!("clock before 1970: {e}"))?
                .as_secs() as i64;
            Fixture::ending_before(now)?
        }
    };
    std::fs::write(&out, fixture.render()).map_err(|e| format!("cannot write {out}: {e}"))?;
    println!("end={}", fixture.end);
    Ok(())
}
