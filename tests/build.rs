//! Tells the suites where this build's `modeldeck` binary is: beside the
//! build-script output dir's profile dir (`<target>/<profile>/modeldeck`),
//! so they test the workspace's own build, whatever the target dir.

fn main() {
    let out = std::env::var_os("OUT_DIR").map(std::path::PathBuf::from);
    // OUT_DIR = <target>/<profile>/build/modeldeck-e2e-<hash>/out
    let bin = out
        .as_deref()
        .and_then(|o| o.ancestors().nth(3))
        .map(|profile| profile.join(format!("modeldeck{}", std::env::consts::EXE_SUFFIX)));
    match bin {
        Some(b) => println!("cargo:rustc-env=MODELDECK_E2E_BIN={}", b.display()),
        None => println!(
            "cargo:warning=OUT_DIR is not set; the end-to-end suites cannot find modeldeck"
        ),
    }
    println!("cargo:rerun-if-changed=build.rs");
}
