//! Things that drift unless a test holds them: file size, the two migration folders, and the
//! documentation of every configuration variable.

use std::{
    cell::RefCell,
    collections::BTreeSet,
    path::{Path, PathBuf},
};

/// Files allowed past the limit until someone splits them. This list may only shrink.
const OVER_300_LINES: &[&str] = &[];
const MAX_LINES: usize = 300;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy();
        if path.is_dir() && name != "target" && !name.starts_with('.') {
            rust_files(&path, found);
        } else if name.ends_with(".rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_rust_file_passes_300_lines() {
    let root = root();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut too_long = Vec::new();
    for path in files {
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        let allowed = OVER_300_LINES.contains(&relative.as_str());
        if lines > MAX_LINES && !allowed {
            too_long.push(format!("{relative}: {lines} lines"));
        }
        if allowed && lines <= MAX_LINES {
            too_long.push(format!(
                "{relative} is short now: take it off OVER_300_LINES"
            ));
        }
    }
    assert!(
        too_long.is_empty(),
        "split these files:\n{}",
        too_long.join("\n")
    );
}

/// A migration's lines that both backends must share: not blank, not marked as one backend's
/// (a line only one backend runs ends in `-- sqlite-only` or `-- postgres-only`).
fn portable_lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(str::trim_end)
        .filter(|line| !line.is_empty())
        .filter(|line| !line.ends_with("-- sqlite-only") && !line.ends_with("-- postgres-only"))
        .map(str::to_owned)
        .collect()
}

fn versions(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_migration_folders_hold_the_same_migrations_but_for_marked_lines() {
    let migrations = root().join("migrations");
    let (sqlite, postgres) = (migrations.join("sqlite"), migrations.join("postgres"));
    assert_eq!(
        versions(&sqlite),
        versions(&postgres),
        "version names differ"
    );
    for version in versions(&sqlite) {
        for file in ["up.sql", "down.sql"] {
            let lite = portable_lines(&sqlite.join(&version).join(file));
            let pg = portable_lines(&postgres.join(&version).join(file));
            assert_eq!(lite, pg, "{version}/{file} differs in unmarked lines");
        }
    }
}

/// Every variable the configuration asks for, with every optional part switched on.
fn variables_read_by_config() -> BTreeSet<String> {
    let asked = RefCell::new(BTreeSet::new());
    let lookup = |name: &str| {
        asked
            .borrow_mut()
            .insert(name.replace("OIDC_EXAMPLE_", "OIDC_<NAME>_"));
        match name {
            "OIDC_PROVIDERS" => Some("example".to_owned()),
            n if n.ends_with("_CLIENT_ID") => Some("id".to_owned()),
            _ => None,
        }
    };
    let _ = studio_core::Config::from_lookup(lookup);
    let _ = studio_auth::oauth::providers_from_lookup(lookup);
    asked.into_inner()
}

#[test]
fn every_configuration_variable_is_in_the_readme_table_and_env_example() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let table: String = readme
        .lines()
        .filter(|line| line.starts_with("| `"))
        .collect();
    let example = std::fs::read_to_string(root().join(".env.example")).unwrap();
    let mut missing = Vec::new();
    for var in variables_read_by_config() {
        if !table.contains(&format!("`{var}`")) {
            missing.push(format!("{var} is not in the README's configuration table"));
        }
        if !example.contains(&format!("{var}=")) {
            missing.push(format!("{var} is not in .env.example"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
