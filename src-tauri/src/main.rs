//! Modeldeck Desktop's entry point: the app on the real (wry) runtime.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let app = modeldeck_desktop::builder::<tauri::Wry>().run(tauri::generate_context!());
    if let Err(e) = app {
        eprintln!("error: modeldeck-desktop: {e}");
        std::process::exit(1);
    }
}
