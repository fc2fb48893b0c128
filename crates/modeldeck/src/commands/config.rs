//! `modeldeck config init|show|path`, `modeldeck login` and `logout`: the
//! settings file and the secrets kept beside it in the OS keychain. Secret
//! values are never printed; `show` says only where each one comes from.

use crate::cli::{ConfigCommand, GlobalArgs, LoginArgs, SecretTarget};
use crate::failure::{Exit, Failure};
use crate::render::{Printer, write_stdout};
use modeldeck_core::config::secrets::{Secret, SecretKind, SecretStore};
use modeldeck_core::config::{Profile, init_file, process_env};
use serde::Serialize;
use std::io::{BufRead, IsTerminal};

/// The profile `--profile` / `MODELDECK_PROFILE` / the file's default names.
fn load_profile(global: &GlobalArgs) -> Result<Profile, Failure> {
    let paths = crate::session::paths();
    Ok(modeldeck_app::load_profile(
        &paths.config,
        global.profile.as_deref(),
        &process_env(),
    )?)
}

/// Runs `config init|show|path`.
pub fn run(cmd: &ConfigCommand, global: &GlobalArgs) -> Result<Exit, Failure> {
    let path = crate::session::paths().config;
    match cmd {
        ConfigCommand::Path => write_stdout(&format!("{}\n", path.display()))?,
        ConfigCommand::Init => {
            let created = init_file(&path).map_err(|e| Failure::Other(e.into()))?;
            let msg = if created {
                format!(
                    "wrote a starter config to {}; edit its URLs, then \"modeldeck status\"\n",
                    path.display()
                )
            } else {
                format!("{} already exists; left untouched\n", path.display())
            };
            write_stdout(&msg)?;
        }
        ConfigCommand::Show(out) => {
            let mut profile = load_profile(global)?;
            // A password in a URL's user info is a secret too: never shown
            // (tests/e2e_token_leak.rs).
            for url in [&mut profile.registry.url, &mut profile.metrics.url]
                .into_iter()
                .flatten()
            {
                *url = hide_userinfo_password(url);
            }
            let doc = ShowDoc {
                config_file: path.display().to_string(),
                config_file_exists: path.exists(),
                secrets: secret_sources(&profile, &modeldeck_secrets::Keychain),
                profile_name: profile.name.clone(),
                profile,
            };
            Printer::new(*out).print(&doc, |_| render(&doc))?;
        }
    }
    Ok(Exit::Ok)
}

/// `url` with the password of its user info replaced by `***`
/// (`http://ops:***@host/`); unchanged without one.
fn hide_userinfo_password(url: &str) -> String {
    let Some(i) = url.find("://") else {
        return url.to_string();
    };
    let rest = &url[i + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let Some((user, _)) = authority[..at].split_once(':') else {
        return url.to_string();
    };
    format!(
        "{}://{user}:***@{}{}",
        &url[..i],
        &authority[at + 1..],
        &rest[end..]
    )
}

/// The `config show` document.
#[derive(Debug, Serialize)]
pub struct ShowDoc {
    /// Settings file path.
    pub config_file: String,
    /// Whether it exists (a missing file means built-in defaults + environment).
    pub config_file_exists: bool,
    /// The chosen profile's name.
    pub profile_name: String,
    /// The resolved settings.
    pub profile: Profile,
    /// Where each secret the profile uses comes from (never its value).
    pub secrets: Vec<SecretSource>,
}

/// Where one secret comes from.
#[derive(Debug, Serialize)]
pub struct SecretSource {
    /// `registry-token`, `registry-password`, `metrics-token`, `metrics-password`.
    pub secret: &'static str,
    /// `environment`, `keychain`, `none` or `keychain_unavailable`.
    pub source: &'static str,
    /// The variable or keychain entry, or why the keychain failed.
    pub detail: String,
}

fn kinds_for(p: &Profile) -> [SecretKind; 3] {
    let reg = if p.registry.username.is_some() {
        SecretKind::RegistryPassword
    } else {
        SecretKind::RegistryToken
    };
    let met = if p.metrics.username.is_some() {
        SecretKind::MetricsPassword
    } else {
        SecretKind::MetricsToken
    };
    [reg, met, SecretKind::JournalKey]
}

fn secret_sources(p: &Profile, store: &dyn SecretStore) -> Vec<SecretSource> {
    let env = process_env();
    kinds_for(p)
        .into_iter()
        .map(|kind| {
            let (source, detail) = if env.get(kind.env_var()).is_some_and(|v| !v.is_empty()) {
                ("environment", kind.env_var().to_string())
            } else {
                match store.get(&p.name, kind) {
                    Ok(Some(_)) => (
                        "keychain",
                        format!("service modeldeck, account {}/{}", p.name, kind.account()),
                    ),
                    Ok(None) => ("none", String::new()),
                    Err(e) => ("keychain_unavailable", e.to_string()),
                }
            };
            SecretSource {
                secret: kind.account(),
                source,
                detail,
            }
        })
        .collect()
}

fn render(doc: &ShowDoc) -> String {
    let toml = toml::to_string(&doc.profile).unwrap_or_else(|e| format!("# cannot render: {e}\n"));
    let mut out = format!(
        "# profile \"{}\" from {}{}, with the environment applied\n{toml}\n# secrets (values never shown)\n",
        doc.profile_name,
        doc.config_file,
        if doc.config_file_exists {
            ""
        } else {
            " (missing: built-in defaults)"
        }
    );
    for s in &doc.secrets {
        out.push_str(&format!(
            "# {:<18} {:<21} {}\n",
            s.secret, s.source, s.detail
        ));
    }
    out
}

/// `login`: reads the secret (prompt without echo, or one line of stdin)
/// and stores it for the profile; `logout` deletes it.
pub fn login(args: &LoginArgs, global: &GlobalArgs, store: bool) -> Result<Exit, Failure> {
    let profile = load_profile(global)?;
    let [reg, met, journal] = kinds_for(&profile);
    let kind = match args.target {
        SecretTarget::Registry => reg,
        SecretTarget::Metrics => met,
        SecretTarget::Journal => journal,
    };
    let keychain = modeldeck_secrets::Keychain;
    let what = format!("{} of profile \"{}\"", kind.account(), profile.name);
    let kc_err = |e: modeldeck_core::config::secrets::SecretError| {
        Failure::Other(anyhow::anyhow!(
            "{e}; the {} could not be changed (on a headless Linux box, run under \
             dbus-run-session with an unlocked gnome-keyring, or use {} instead)",
            kind.account(),
            kind.env_var()
        ))
    };
    if !store {
        keychain.delete(&profile.name, kind).map_err(kc_err)?;
        write_stdout(&format!("removed the {what} from the keychain\n"))?;
        return Ok(Exit::Ok);
    }
    let value = read_secret(args.stdin, &what)?;
    keychain
        .set(&profile.name, kind, &Secret::new(value))
        .map_err(kc_err)?;
    write_stdout(&format!("stored the {what} in the keychain\n"))?;
    Ok(Exit::Ok)
}

fn read_secret(from_stdin: bool, what: &str) -> Result<String, Failure> {
    let line = if from_stdin || !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::Other(anyhow::anyhow!("reading the secret from stdin: {e}")))?;
        line
    } else {
        rpassword::prompt_password(format!("{what}: "))
            .map_err(|e| Failure::Other(anyhow::anyhow!("reading the secret: {e}")))?
    };
    let v = line.trim_end_matches(['\r', '\n']).to_string();
    if v.is_empty() {
        return Err(Failure::Usage(format!(
            "empty secret: nothing stored for the {what}"
        )));
    }
    Ok(v)
}
