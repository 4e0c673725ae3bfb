//! `cargo xtask new-crate NAME`: scaffolds a workspace crate on the pattern of the others.
//!
//! Writes `crates/NAME/` (manifest with the workspace fields, README with a doc test, `lib.rs`,
//! the crate's error type, one integration test) and the benchmark module
//! `benches/src/<snake>.rs`, then registers the crate: `pub mod <snake>;` and a `SUITES` entry
//! in `benches/src/lib.rs`, `NAME.workspace = true` in `benches/Cargo.toml`, and
//! `NAME = { path = "crates/NAME" }` in the root manifest's `[workspace.dependencies]`.
//!
//! Everything is validated and every edit computed before the first file is written; the edits
//! are text insertions at anchors, so the rest of each file keeps its formatting.

use std::path::{Path, PathBuf};

use crate::{Result, metadata, root, write_atomic};

/// Names Rust or cargo keep for themselves, and the workspace's own non-crate members.
const RESERVED: &[&str] = &[
    "self",
    "crate",
    "super",
    "std",
    "core",
    "alloc",
    "test",
    "proc_macro",
    "build",
    "deps",
    "examples",
    "incremental",
    "benches",
    "xtask",
    "con",
    "prn",
    "aux",
    "nul",
];

/// Rust keywords, strict and reserved, of every edition up to 2024.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Creates the crate `name` in the repository at [`root`] and reports what it wrote.
pub fn run(name: &str) -> Result<()> {
    create(&root(), name)?;
    eprintln!(
        "xtask: next: edit the description in crates/{name}/Cargo.toml and README.md, then `cargo test -p {name}`"
    );
    Ok(())
}

/// Creates the crate `name` in the repository at `root`: validates the name against the
/// workspace, computes every edit, then writes. Returns the files written or changed.
pub fn create(root: &Path, name: &str) -> Result<Vec<PathBuf>> {
    check_syntax(name)?;
    let packages = package_names(&metadata(root)?);
    create_with(root, name, &packages)
}

/// [`create`] with the workspace's package names given.
fn create_with(root: &Path, name: &str, packages: &[String]) -> Result<Vec<PathBuf>> {
    check_syntax(name)?;
    let snake = name.replace('-', "_");

    let root_manifest = root.join("Cargo.toml");
    let benches_manifest = root.join("benches/Cargo.toml");
    let benches_lib = root.join("benches/src/lib.rs");
    let crate_dir = root.join("crates").join(name);
    let module = root.join("benches/src").join(format!("{snake}.rs"));
    let root_text = read(&root_manifest)?;
    let benches_text = read(&benches_manifest)?;
    let lib_text = read(&benches_lib)?;

    let mut taken = workspace_dependency_names(&root_text);
    taken.extend(packages.iter().cloned());
    check_free(name, &taken)?;
    if crate_dir.exists() {
        return Err(format!("`{}` already exists", shown(root, &crate_dir)));
    }
    for path in [module.clone(), root.join("benches/src").join(&snake)] {
        if path.exists() {
            return Err(format!(
                "`{}` already exists (the benchmark module would clash)",
                shown(root, &path)
            ));
        }
    }

    let new_lib = register_module(&lib_text, &snake)
        .and_then(|lib| register_suite(&lib, name, &snake))
        .map_err(|e| format!("benches/src/lib.rs: {e}"))?;
    let new_benches = add_benches_dependency(&benches_text, name)
        .map_err(|e| format!("benches/Cargo.toml: {e}"))?;
    let new_root =
        add_workspace_dependency(&root_text, name).map_err(|e| format!("Cargo.toml: {e}"))?;

    let created = vec![
        (crate_dir.join("Cargo.toml"), manifest(name)),
        (crate_dir.join("README.md"), readme(name, &snake)),
        (crate_dir.join("src/lib.rs"), LIB_RS.to_string()),
        (crate_dir.join("src/error.rs"), error_rs(name)),
        (
            crate_dir.join("tests").join(format!("{snake}.rs")),
            test_rs(name, &snake),
        ),
        (module.clone(), bench_module(name)),
    ];
    let changed = vec![
        (benches_lib, lib_text, new_lib),
        (benches_manifest, benches_text, new_benches),
        (root_manifest, root_text, new_root),
    ];
    if let Err((e, replaced)) = write_all(&created, &changed) {
        // Leave the repository as it was (neither path existed before).
        let _ = std::fs::remove_dir_all(&crate_dir);
        let _ = std::fs::remove_file(&module);
        for (path, old, _) in &changed[..replaced] {
            let _ = write_atomic(path, old);
        }
        return Err(e);
    }
    let mut written = Vec::new();
    for (path, _) in &created {
        eprintln!("xtask: created {}", shown(root, path));
        written.push(path.clone());
    }
    for (path, _, _) in &changed {
        eprintln!("xtask: registered `{name}` in {}", shown(root, path));
        written.push(path.clone());
    }
    Ok(written)
}

/// Writes the new files (directories as needed), then the changed ones; an error comes with
/// the number of changed files already replaced.
fn write_all(
    created: &[(PathBuf, String)],
    changed: &[(PathBuf, String, String)],
) -> std::result::Result<(), (String, usize)> {
    for (path, text) in created {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| (format!("{}: {e}", dir.display()), 0))?;
        }
        write_atomic(path, text).map_err(|e| (e, 0))?;
    }
    for (i, (path, _, text)) in changed.iter().enumerate() {
        write_atomic(path, text).map_err(|e| (e, i))?;
    }
    Ok(())
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// `path` relative to `root` where it lies inside it.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A crate name: an ASCII lowercase letter, then lowercase letters, digits, `-` or `_`; no
/// keyword and no name Rust, cargo or this workspace reserves.
fn check_syntax(name: &str) -> Result<()> {
    let mut chars = name.chars();
    match chars.next() {
        None => return Err("the crate name is empty".into()),
        Some(c) if !c.is_ascii_lowercase() => {
            return Err(format!(
                "`{name}` is not a valid crate name: it must start with an ASCII lowercase letter"
            ));
        }
        Some(_) => {}
    }
    if let Some(c) =
        chars.find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'))
    {
        return Err(format!(
            "`{name}` is not a valid crate name: `{c}` is not a lowercase ASCII letter, digit, `-` or `_`"
        ));
    }
    let snake = name.replace('-', "_");
    if KEYWORDS.contains(&name) || KEYWORDS.contains(&snake.as_str()) {
        return Err(format!("`{name}` is a Rust keyword"));
    }
    let is_device = |s: &str| {
        (s.starts_with("com") || s.starts_with("lpt"))
            && s.len() == 4
            && s.as_bytes()[3].is_ascii_digit()
    };
    if RESERVED.contains(&name) || RESERVED.contains(&snake.as_str()) || is_device(name) {
        return Err(format!("`{name}` is a reserved name"));
    }
    Ok(())
}

/// Fails if `name` is, up to `-`/`_`, one of `taken` (workspace packages and dependencies).
fn check_free(name: &str, taken: &[String]) -> Result<()> {
    let key = |s: &str| s.to_ascii_lowercase().replace('-', "_");
    match taken.iter().find(|t| key(t) == key(name)) {
        Some(t) if t == name => Err(format!(
            "`{name}` already exists (a workspace package or workspace dependency)"
        )),
        Some(t) => Err(format!(
            "`{name}` clashes with `{t}` (a workspace package or workspace dependency)"
        )),
        None => Ok(()),
    }
}

/// The names of the packages in `cargo metadata` output.
fn package_names(metadata: &serde_json::Value) -> Vec<String> {
    metadata
        .get("packages")
        .and_then(serde_json::Value::as_array)
        .map(|packages| {
            packages
                .iter()
                .filter_map(|p| p.get("name").and_then(serde_json::Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// The keys of the root manifest's `[workspace.dependencies]` (and its
/// `[workspace.dependencies.NAME]` tables).
fn workspace_dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            inside = line == "[workspace.dependencies]";
            if let Some(table) = line
                .strip_prefix("[workspace.dependencies.")
                .and_then(|rest| rest.strip_suffix(']'))
            {
                names.push(table.trim().trim_matches('"').to_string());
            }
        } else if inside
            && !line.starts_with('#')
            && let Some((key, _)) = line.split_once('=')
        {
            let key = key.split('.').next().unwrap_or(key);
            names.push(key.trim().trim_matches('"').to_string());
        }
    }
    names
}

/// `text` split into lines, each keeping its line end.
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// `lines` with `new` (no line end) inserted as line `at`.
fn insert_line(lines: &[&str], at: usize, new: &str) -> String {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == at {
            out.push_str(new);
            out.push('\n');
        }
        out.push_str(line);
    }
    if at >= lines.len() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(new);
        out.push('\n');
    }
    out
}

/// The module name of a top-level `pub mod NAME;` or `mod NAME;` line.
fn declared_module(line: &str) -> Option<(&str, bool)> {
    let line = line.trim_end();
    let (rest, public) = match line.strip_prefix("pub mod ") {
        Some(rest) => (rest, true),
        None => (line.strip_prefix("mod ")?, false),
    };
    rest.strip_suffix(';').map(|m| (m.trim(), public))
}

/// Adds `pub mod <snake>;` among the `pub mod` lines of the suite's `lib.rs`, keeping them
/// sorted (attributes and doc comments stay with the line they belong to).
fn register_module(lib: &str, snake: &str) -> Result<String> {
    let lines = lines(lib);
    let mut public = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        match declared_module(line) {
            Some((m, _)) if m == snake => {
                return Err(format!("module `{snake}` is already declared"));
            }
            Some((m, true)) => public.push((i, m)),
            _ => {}
        }
    }
    let Some(&(last, _)) = public.last() else {
        return Err(format!(
            "no top-level `pub mod ...;` line to add `pub mod {snake};` beside"
        ));
    };
    let at = match public.iter().find(|(_, m)| *m > snake) {
        Some(&(mut i, _)) => {
            while i > 0 && {
                let above = lines[i - 1].trim_start();
                above.starts_with("#[") || above.starts_with("///")
            } {
                i -= 1;
            }
            i
        }
        None => last + 1,
    };
    Ok(insert_line(&lines, at, &format!("pub mod {snake};")))
}

/// The line that opens the suite list in `benches/src/lib.rs`.
const SUITES_ANCHOR: &str = "pub const SUITES: &[Suite] = &[";

/// Appends `("NAME", <snake>::run),` to the `SUITES` array.
fn register_suite(lib: &str, name: &str, snake: &str) -> Result<String> {
    let lines = lines(lib);
    let open = lines
        .iter()
        .position(|l| l.trim() == SUITES_ANCHOR)
        .ok_or_else(|| format!("no line `{SUITES_ANCHOR}` to add the suite to"))?;
    let close = lines[open + 1..]
        .iter()
        .position(|l| l.trim() == "];")
        .map(|i| open + 1 + i)
        .ok_or("the `SUITES` array has no closing `];` line")?;
    let quoted = format!("(\"{name}\",");
    if lines[open + 1..close]
        .iter()
        .any(|l| l.trim_start().starts_with(&quoted))
    {
        return Err(format!("`SUITES` already lists `{name}`"));
    }
    let last_entry = (open + 1..close).rev().find(|&i| {
        let t = lines[i].trim();
        !t.is_empty() && !t.starts_with("//")
    });
    let indent = last_entry
        .map(|i| {
            let l = lines[i];
            &l[..l.len() - l.trim_start().len()]
        })
        .unwrap_or("    ");
    let mut owned: Vec<String> = lines.iter().map(|l| (*l).to_string()).collect();
    if let Some(i) = last_entry {
        let t = owned[i].trim_end();
        if !t.ends_with(',') {
            let end = &owned[i][t.len()..];
            owned[i] = format!("{t},{end}");
        }
    }
    let borrowed: Vec<&str> = owned.iter().map(String::as_str).collect();
    Ok(insert_line(
        &borrowed,
        close,
        &format!("{indent}(\"{name}\", {snake}::run),"),
    ))
}

/// The line range `(header, end)` of the table `[header]`: `end` is the index of the next table
/// header or the number of lines.
fn table(lines: &[&str], header: &str) -> Option<(usize, usize)> {
    let start = lines.iter().position(|l| l.trim() == header)?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    Some((start, end))
}

/// Whether a manifest line (trimmed) sets `key`, as `key = ...` or `key.field = ...`.
fn sets_key(line: &str, key: &str) -> bool {
    line.strip_prefix(key)
        .is_some_and(|rest| rest.trim_start().starts_with('=') || rest.starts_with('.'))
}

/// Appends `NAME.workspace = true` to the `[dependencies]` table of the `benches` manifest.
fn add_benches_dependency(manifest: &str, name: &str) -> Result<String> {
    let lines = lines(manifest);
    let (start, end) = table(&lines, "[dependencies]").ok_or("no `[dependencies]` table")?;
    if lines[start + 1..end]
        .iter()
        .any(|l| sets_key(l.trim(), name))
    {
        return Err(format!("`[dependencies]` already has `{name}`"));
    }
    let at = (start + 1..end)
        .rev()
        .find(|&i| {
            let t = lines[i].trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map_or(start + 1, |i| i + 1);
    Ok(insert_line(&lines, at, &format!("{name}.workspace = true")))
}

/// Adds `NAME = { path = "crates/NAME" }` after the last path dependency of the root manifest's
/// `[workspace.dependencies]`.
fn add_workspace_dependency(manifest: &str, name: &str) -> Result<String> {
    let lines = lines(manifest);
    let (start, end) =
        table(&lines, "[workspace.dependencies]").ok_or("no `[workspace.dependencies]` table")?;
    if lines[start + 1..end]
        .iter()
        .any(|l| sets_key(l.trim(), name))
    {
        return Err(format!("`[workspace.dependencies]` already has `{name}`"));
    }
    let at = (start + 1..end)
        .rev()
        .find(|&i| lines[i].contains("path = \"crates/"))
        .map_or(start + 1, |i| i + 1);
    Ok(insert_line(
        &lines,
        at,
        &format!("{name} = {{ path = \"crates/{name}\" }}"),
    ))
}

fn manifest(name: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
description = "TODO: one line on what {name} implements (also the first line of README.md)."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
authors.workspace = true

[dependencies]
linalg.workspace = true
thiserror.workspace = true

[lints]
workspace = true
"#
    )
}

fn readme(name: &str, snake: &str) -> String {
    format!(
        r#"# {name}

TODO: one line on what `{name}` implements (the same line as the `description` in
`Cargo.toml`).

## Papers

TODO: the papers this crate implements, and for each the types or functions that implement it.

## Example

The crate's error type wraps the shared `linalg` errors:

```
use {snake}::Error;
let e: Error = linalg::Error::Empty {{ what: "snapshot matrix" }}.into();
assert_eq!(e.to_string(), "snapshot matrix is empty");
```

## Measured

TODO: no benchmark cases yet. Add them to `benches/src/{snake}.rs`;
`cargo xtask bench --only {name}` runs them and writes the figures to `bench-report/report.md`
in cargo's target directory. Quote them here with the machine and the command that produced
them.
"#
    )
}

const LIB_RS: &str = r#"#![doc = include_str!("../README.md")]

mod error;

pub use error::{Error, Result};
"#;

fn error_rs(name: &str) -> String {
    format!(
        r#"//! The error type of `{name}`.

/// Errors of `{name}`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {{
    /// An error from the shared linear-algebra layer (shapes, non-finite data, files, ...).
    #[error(transparent)]
    Linalg(#[from] linalg::Error),
}}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
"#
    )
}

fn test_rs(name: &str, snake: &str) -> String {
    format!(
        r#"//! The error type of `{name}`: shared-layer errors convert and keep their message.

use {snake}::Error;

#[test]
fn linalg_errors_convert_and_keep_their_message() {{
    let inner = linalg::Error::Empty {{
        what: "snapshot matrix",
    }};
    let message = inner.to_string();
    let e = Error::from(inner);
    assert!(matches!(
        e,
        Error::Linalg(linalg::Error::Empty {{
            what: "snapshot matrix"
        }})
    ));
    assert_eq!(e.to_string(), message);
}}
"#
    )
}

fn bench_module(name: &str) -> String {
    format!(
        r#"//! Benchmark cases of the `{name}` crate (none yet).
//!
//! Add a case as a function `fn my_case(config: &Config, out: &mut Outcome) ->
//! crate::SuiteResult<()>` and call it from [`run`]: build the problem (sizes through
//! [`Config::pick`], the quick one first), time the method with [`crate::median_time`], and push
//! one [`crate::Record`] per figure with suite [`SUITE`]: the `time`, and always an accuracy
//! figure (`rel_error`, ...) so that a fast wrong answer cannot pass unnoticed.
//! `benches/src/linalg.rs` has complete cases; `cargo xtask bench --only {name}` runs this suite.

use crate::{{Config, Outcome}};

/// The suite's name: its entry in [`crate::SUITES`] and the `suite` field of its records.
pub const SUITE: &str = "{name}";

/// Runs the `{name}` cases.
///
/// # Errors
/// Any error of the methods under test.
pub fn run(config: &Config, out: &mut Outcome) -> crate::SuiteResult<()> {{
    // Call each case here, e.g. `my_case(config, out)?;`.
    let _ = (config, out);
    Ok(())
}}
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_pass() {
        for name in ["demo", "a", "my-crate", "my_crate2", "x-1_y"] {
            assert_eq!(check_syntax(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn invalid_names_are_refused() {
        for name in [
            "", "Demo", "1demo", "-demo", "_demo", "de mo", "demo!", "démo", "dEmo", "de.mo",
        ] {
            assert!(check_syntax(name).is_err(), "{name:?} passed");
        }
    }

    #[test]
    fn keywords_and_reserved_names_are_refused() {
        for name in [
            "self",
            "crate",
            "super",
            "std",
            "core",
            "alloc",
            "test",
            "proc_macro",
            "proc-macro",
            "benches",
            "xtask",
            "fn",
            "async",
            "gen",
            "com1",
            "nul",
        ] {
            let e = check_syntax(name).err().unwrap_or_default();
            assert!(
                e.contains("keyword") || e.contains("reserved"),
                "{name}: {e:?}"
            );
        }
        assert_eq!(check_syntax("com"), Ok(()));
        assert_eq!(check_syntax("selfish"), Ok(()));
    }

    #[test]
    fn taken_names_are_refused_up_to_dash_and_underscore() {
        let taken = vec!["linalg".to_string(), "rom-core".to_string()];
        assert!(check_free("linalg", &taken).is_err());
        assert!(check_free("rom-core", &taken).is_err());
        let clash = check_free("rom_core", &taken).err().unwrap_or_default();
        assert!(clash.contains("clashes with `rom-core`"), "{clash}");
        assert_eq!(check_free("rom-core2", &taken), Ok(()));
    }

    const ROOT: &str = r#"[workspace]
members = ["crates/*", "benches", "xtask"]

[workspace.dependencies]
linalg = { path = "crates/linalg" }
rom-core = { path = "crates/rom-core" }

faer = { version = "0.24" }
serde.version = "1"
# a comment = not a key
"quoted" = "1"

[workspace.dependencies.big]
version = "2"

[workspace.lints.rust]
unsafe_code = "deny"
"#;

    #[test]
    fn workspace_dependencies_are_listed() {
        assert_eq!(
            workspace_dependency_names(ROOT),
            ["linalg", "rom-core", "faer", "serde", "quoted", "big"]
        );
    }

    #[test]
    fn package_names_come_from_metadata() {
        let meta = serde_json::json!({"packages": [{"name": "linalg"}, {"name": "xtask"}]});
        assert_eq!(package_names(&meta), ["linalg", "xtask"]);
    }

    #[test]
    fn workspace_dependency_goes_after_the_path_dependencies() {
        let out = add_workspace_dependency(ROOT, "demo");
        let expected = ROOT.replace(
            "rom-core = { path = \"crates/rom-core\" }\n",
            "rom-core = { path = \"crates/rom-core\" }\ndemo = { path = \"crates/demo\" }\n",
        );
        assert_eq!(out, Ok(expected));
        assert!(add_workspace_dependency(ROOT, "faer").is_err());
        assert!(add_workspace_dependency("[workspace]\n", "demo").is_err());
        assert_eq!(
            add_workspace_dependency("[workspace.dependencies]\n", "demo"),
            Ok("[workspace.dependencies]\ndemo = { path = \"crates/demo\" }\n".to_string())
        );
    }

    const BENCHES: &str = r#"[package]
name = "benches"

[dependencies]
linalg.workspace = true
clap.workspace = true

[dev-dependencies]
tempfile.workspace = true

[lints]
workspace = true
"#;

    #[test]
    fn benches_dependency_ends_the_dependencies_table() {
        let out = add_benches_dependency(BENCHES, "demo");
        let expected = BENCHES.replace(
            "clap.workspace = true\n",
            "clap.workspace = true\ndemo.workspace = true\n",
        );
        assert_eq!(out, Ok(expected));
        assert!(add_benches_dependency(BENCHES, "linalg").is_err());
        assert!(add_benches_dependency("[package]\nname = \"b\"\n", "demo").is_err());
        // No line end at the end of the file: one is added before the new line.
        assert_eq!(
            add_benches_dependency("[dependencies]\nlinalg.workspace = true", "demo"),
            Ok("[dependencies]\nlinalg.workspace = true\ndemo.workspace = true\n".to_string())
        );
    }

    const LIB: &str = r#"//! Docs.

#[cfg(doctest)]
mod guide;
pub mod krylov_recycle;
pub mod linalg;
/// Documented.
#[cfg(feature = "x")]
pub mod rom_core;

/// Every suite, in the order they run.
pub const SUITES: &[Suite] = &[
    ("linalg", linalg::run),
    ("rom-core", rom_core::run),
    ("krylov-recycle", krylov_recycle::run),
];
"#;

    #[test]
    fn module_line_is_inserted_in_order() {
        let first = register_module(LIB, "aaa");
        assert_eq!(
            first,
            Ok(LIB.replace("mod guide;\n", "mod guide;\npub mod aaa;\n"))
        );
        // Before `rom_core`, above its doc comment and attribute.
        let middle = register_module(LIB, "pde_bench");
        assert_eq!(
            middle,
            Ok(LIB.replace("/// Documented.\n", "pub mod pde_bench;\n/// Documented.\n"))
        );
        let last = register_module(LIB, "zeta");
        assert_eq!(
            last,
            Ok(LIB.replace("pub mod rom_core;\n", "pub mod rom_core;\npub mod zeta;\n"))
        );
        assert!(register_module(LIB, "linalg").is_err());
        assert!(register_module(LIB, "guide").is_err());
        assert!(register_module("fn main() {}\n", "demo").is_err());
    }

    #[test]
    fn suite_entry_is_appended() {
        let out = register_suite(LIB, "demo-crate", "demo_crate");
        let expected = LIB.replace(
            "    (\"krylov-recycle\", krylov_recycle::run),\n",
            "    (\"krylov-recycle\", krylov_recycle::run),\n    (\"demo-crate\", demo_crate::run),\n",
        );
        assert_eq!(out, Ok(expected));
        assert!(register_suite(LIB, "linalg", "linalg").is_err());
        assert!(register_suite("pub mod x;\n", "demo", "demo").is_err());
        let unclosed = LIB.replace("];\n", "]\n");
        assert!(register_suite(&unclosed, "demo", "demo").is_err());
        // A last entry without a trailing comma gets one.
        let bare = LIB.replace("krylov_recycle::run),\n];", "krylov_recycle::run)\n];");
        assert_eq!(
            register_suite(&bare, "demo", "demo"),
            Ok(LIB.replace(
                "krylov_recycle::run),\n];",
                "krylov_recycle::run),\n    (\"demo\", demo::run),\n];"
            ))
        );
    }

    /// A scratch copy of the parts of a repository that `create` reads, removed on drop.
    struct Scratch(PathBuf);

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn scratch(tag: &str, lib: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("xtask-new-crate-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("benches/src")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), ROOT).unwrap();
        std::fs::write(dir.join("benches/Cargo.toml"), BENCHES).unwrap();
        std::fs::write(dir.join("benches/src/lib.rs"), lib).unwrap();
        Scratch(dir)
    }

    #[test]
    fn refusal_writes_nothing() {
        let scratch = scratch("refuse", "no anchors here\n");
        let dir = &scratch.0;
        let packages = vec!["benches".to_string(), "sampling".to_string()];
        for name in ["Bad", "self", "linalg", "faer", "sampling"] {
            assert!(create_with(dir, name, &packages).is_err(), "{name}");
        }
        // A valid, free name, but the suite's lib.rs lacks its anchors: nothing is written.
        let e = create_with(dir, "demo", &packages)
            .err()
            .unwrap_or_default();
        assert!(e.starts_with("benches/src/lib.rs: "), "{e}");
        assert!(!dir.join("crates").exists());
        assert!(!dir.join("benches/src/demo.rs").exists());
        assert_eq!(
            std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
            ROOT
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("benches/Cargo.toml")).unwrap(),
            BENCHES
        );
    }

    #[test]
    fn creation_writes_the_crate_and_registers_it() {
        let scratch = scratch("create", LIB);
        let dir = &scratch.0;
        let written = create_with(dir, "my-demo", &[]).unwrap();
        assert_eq!(written.len(), 9);
        for file in [
            "crates/my-demo/Cargo.toml",
            "crates/my-demo/README.md",
            "crates/my-demo/src/lib.rs",
            "crates/my-demo/src/error.rs",
            "crates/my-demo/tests/my_demo.rs",
        ] {
            assert!(dir.join(file).is_file(), "{file}");
        }
        let module = std::fs::read_to_string(dir.join("benches/src/my_demo.rs")).unwrap();
        assert!(module.contains("pub const SUITE: &str = \"my-demo\";"));
        let readme = std::fs::read_to_string(dir.join("crates/my-demo/README.md")).unwrap();
        assert!(readme.contains("use my_demo::Error;"));
        assert!(readme.contains("cargo xtask bench --only my-demo"));
        let lib = std::fs::read_to_string(dir.join("benches/src/lib.rs")).unwrap();
        assert!(lib.contains("pub mod linalg;\npub mod my_demo;\n/// Documented."));
        assert!(lib.contains("    (\"my-demo\", my_demo::run),\n];"));
        let root = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(root.contains("my-demo = { path = \"crates/my-demo\" }"));
        let benches = std::fs::read_to_string(dir.join("benches/Cargo.toml")).unwrap();
        assert!(benches.contains("my-demo.workspace = true"));
        // No temporary files are left behind.
        let leftovers: Vec<_> = std::fs::read_dir(dir.join("benches/src"))
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains("tmp-xtask"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        // A second time, the name exists.
        let again = create_with(dir, "my-demo", &[]).err().unwrap_or_default();
        assert!(again.contains("already exists"), "{again}");
    }
}
