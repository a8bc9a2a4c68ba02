//! The documentation holds to the code: every environment variable in `config/env.rs`'s one list is
//! documented in `docs/configuration.md`, and every relative link of the README, ARCHITECTURE.md and
//! `docs/` resolves to a file (and, with `#anchor`, to a heading of it), and every test docs/security.md
//! names exists.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use password_reset::config::env;
use regex::Regex;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The pages a reader can follow links through.
fn pages() -> Vec<PathBuf> {
    let mut pages = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    pages.extend(docs);
    pages
}

/// Markdown without its fenced code blocks (a `#` in a shell block is no heading, a `](` no link).
fn prose(text: &str) -> String {
    let mut fenced = false;
    text.lines()
        .filter(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return false;
            }
            !fenced
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// GitHub's anchor for a heading: lower case, punctuation but `-` and `_` dropped, spaces to `-`.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn anchors(text: &str) -> BTreeSet<String> {
    prose(text)
        .lines()
        .filter_map(|l| l.strip_prefix('#'))
        .map(|l| slug(l.trim_start_matches('#')))
        .collect()
}

#[test]
fn every_environment_variable_is_documented_in_configuration_md() {
    let doc = read(&root().join("docs/configuration.md"));
    let missing: Vec<&str> = env::ALL
        .iter()
        .map(|v| v.name)
        .filter(|name| !doc.contains(&format!("`{name}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/configuration.md does not document {missing:?}"
    );
}

#[test]
fn every_relative_link_resolves() {
    let link = Regex::new(r"\]\(([^)\s]+)\)").expect("regex");
    let mut broken = Vec::new();
    let pages = pages();
    assert!(pages.len() >= 7, "README, ARCHITECTURE and the docs pages");
    for page in &pages {
        let text = read(page);
        let dir = page.parent().expect("a page is in a folder");
        for target in link.captures_iter(&prose(&text)).map(|c| c[1].to_string()) {
            if target.starts_with("http://") || target.starts_with("https://") {
                continue;
            }
            let (file, anchor) = match target.split_once('#') {
                Some((file, anchor)) => (file, Some(anchor)),
                None => (target.as_str(), None),
            };
            let resolved = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            if !resolved.exists() {
                broken.push(format!("{}: {target} (no such file)", page.display()));
                continue;
            }
            if let Some(anchor) = anchor
                && !anchors(&read(&resolved)).contains(anchor)
            {
                broken.push(format!("{}: {target} (no such heading)", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_stays_short() {
    let lines = read(&root().join("README.md")).lines().count();
    assert!(
        lines <= 260,
        "README.md has {lines} lines: reference material goes in docs/"
    );
}

/// Every `.rs` file under the repository, with its text (targets, dependencies and node modules left out).
fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if !matches!(
                    name.to_str(),
                    Some("target" | "node_modules" | ".git" | ".venv")
                ) {
                    walk(&path, out);
                }
            } else if path.extension().is_some_and(|x| x == "rs" || x == "mjs") {
                out.push((path.clone(), read(&path)));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root(), &mut out);
    out
}

/// security.md names the test behind each guarantee: every name it gives (a snake_case name of four
/// words or more in backticks) is a function of some test source, and every quoted browser test a
/// `test("…")` of `tests/browser`, so a renamed or deleted test cannot leave a guarantee unbacked.
#[test]
fn every_test_security_md_names_exists() {
    let doc = prose(&read(&root().join("docs/security.md")));
    let sources = sources();
    let named = Regex::new(r"`(?:[a-z_]+::)*([a-z0-9]+(?:_[a-z0-9]+){3,})`").unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    let function = Regex::new(r"\bfn ([a-z0-9_]+)").unwrap();
    let defined: BTreeSet<&str> = sources
        .iter()
        .flat_map(|(_, text)| {
            function
                .captures_iter(text)
                .map(|c| c.get(1).unwrap().as_str())
        })
        .collect();
    for name in named.captures_iter(&doc).map(|c| c[1].to_string()) {
        checked += 1;
        if !defined.contains(name.as_str()) {
            missing.push(name);
        }
    }
    let browser = Regex::new(r#"the browser test "([^"]+)""#).unwrap();
    let flat = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    for title in browser.captures_iter(&flat).map(|c| c[1].to_string()) {
        checked += 1;
        let declared = format!("test(\"{title}\"");
        if !sources.iter().any(|(p, text)| {
            p.starts_with(root().join("tests/browser")) && text.contains(&declared)
        }) {
            missing.push(title);
        }
    }
    assert!(
        checked > 50,
        "security.md names {checked} tests: the pattern lost them"
    );
    assert!(
        missing.is_empty(),
        "docs/security.md names tests that do not exist: {missing:?}"
    );
}

/// Every file path the pages name in backticks (`shared/src/…`, `tests/…`, `scripts/…`) exists, so a
/// moved file cannot leave a page pointing at nothing. A `*` stands for any name and `<…>` for a
/// placeholder: those are not checked.
#[test]
fn every_path_the_pages_name_exists() {
    let path = Regex::new(
        r"`((?:shared|src|tests|functions|test-support|benches|scripts|config|events|web|docs|\.ci)/[A-Za-z0-9_./-]+)(?:::[A-Za-z0-9_]+)*`",
    )
    .unwrap();
    let mut missing = Vec::new();
    for page in pages() {
        let text = prose(&read(&page));
        for named in path.captures_iter(&text).map(|c| c[1].to_string()) {
            if named.contains('*') || named.contains('<') {
                continue;
            }
            if !root().join(named.trim_end_matches('/')).exists() {
                missing.push(format!("{}: {named}", page.display()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "pages name paths that do not exist: {missing:#?}"
    );
}
