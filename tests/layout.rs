//! The shape of the code base, kept: no source file over 500 lines (test files aside), no
//! import circle of more than four modules, and the layers called downwards only (routes →
//! service → db → domain; the domain imports none of the others). ARCHITECTURE.md says why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Module path (`service::sanctions`) → its file's text.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&root, &mut files);
    files
        .into_iter()
        .map(|f| {
            let rel = f.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if matches!(
                parts.last().map(String::as_str),
                Some("mod" | "lib" | "main")
            ) {
                parts.pop();
            }
            (parts.join("::"), std::fs::read_to_string(&f).unwrap())
        })
        .collect()
}

/// The text before the file's unit-test module.
fn code(text: &str) -> &str {
    text.split("\n#[cfg(test)]").next().unwrap_or(text)
}

/// Every `a::b::c` path a `use` names, braces expanded.
fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    match tree.find('{') {
        None => out.push(format!("{prefix}{tree}")),
        Some(open) => {
            let (head, inner) = (&tree[..open], &tree[open + 1..tree.len() - 1]);
            let (mut depth, mut start) = (0, 0);
            for (i, ch) in inner.char_indices() {
                match ch {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        expand(&format!("{prefix}{head}"), &inner[start..i], out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            if !inner[start..].trim().is_empty() {
                expand(&format!("{prefix}{head}"), &inner[start..], out);
            }
        }
    }
}

/// Which modules each module imports (`use crate::…`, `use super::…`, `crate::…` paths).
fn imports(mods: &BTreeMap<String, String>) -> BTreeMap<String, BTreeSet<String>> {
    let resolve = |path: &[&str]| -> Option<String> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| mods.contains_key(m))
    };
    let mut edges = BTreeMap::new();
    for (module, text) in mods {
        let parent: Vec<&str> = module.split("::").filter(|p| !p.is_empty()).collect();
        let parent = &parent[..parent.len().saturating_sub(1)];
        let mut targets = BTreeSet::new();
        let text = code(text);
        let mut paths = Vec::new();
        for stmt in text.split(';') {
            let Some(at) = stmt.find("use ") else {
                continue;
            };
            let used: String = stmt[at + 4..].split_whitespace().collect();
            let (base, rest) = if let Some(r) = used.strip_prefix("crate::") {
                (String::new(), r)
            } else if let Some(r) = used.strip_prefix("super::") {
                (parent.join("::"), r)
            } else {
                continue;
            };
            let prefix = if base.is_empty() {
                String::new()
            } else {
                format!("{base}::")
            };
            expand(&prefix, rest, &mut paths);
        }
        for (i, _) in text.match_indices("crate::") {
            let rest: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(rest);
        }
        for p in &paths {
            let parts: Vec<&str> = p
                .split("::")
                .filter(|s| !s.is_empty() && *s != "self")
                .collect();
            if let Some(t) = resolve(&parts).filter(|t| t != module) {
                targets.insert(t);
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

/// Strongly connected components (Tarjan), largest first.
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct T<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a str) {
        let n = t.index.len();
        t.index.insert(v, n);
        t.low.insert(v, n);
        t.stack.push(v);
        t.on.insert(v);
        for w in t.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                t.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if t.on.contains(w) {
                let iw = t.index[w];
                t.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = t.stack.pop() {
                t.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            t.out.push(comp);
        }
    }
    let mut t = T {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !t.index.contains_key(v.as_str()) {
            visit(&mut t, v);
        }
    }
    t.out.sort_by_key(|c| std::cmp::Reverse(c.len()));
    t.out
}

#[test]
fn no_source_file_is_over_500_lines() {
    let long: Vec<(String, usize)> = modules()
        .into_iter()
        .filter(|(m, _)| !m.ends_with("tests"))
        .map(|(m, text)| (m, text.lines().count()))
        .filter(|(_, n)| *n > 500)
        .collect();
    assert!(long.is_empty(), "split by concept: {long:?}");
}

#[test]
fn no_import_circle_is_larger_than_four_modules() {
    let edges = imports(&modules());
    assert!(
        edges["service::sanctions"].contains("service::journal"),
        "the import reader sees `use super::…`"
    );
    let largest = circles(&edges).remove(0);
    assert!(largest.len() <= 4, "an import circle: {largest:?}");
}

#[test]
fn layers_are_called_downwards() {
    // The layer of a top-level module; those beside the layers (auth, audit, receipts, the
    // AppState handlers share, …) are not ranked.
    let rank = |m: &str| match m.split("::").next().unwrap_or("") {
        "startup" | "cli" => Some(0),
        "routes" | "openapi" | "extract" | "console" => Some(1),
        "service" | "jobs" | "webhooks" => Some(2),
        "db" => Some(3),
        "domain" => Some(4),
        _ => None,
    };
    let mut upward = Vec::new();
    for (from, tos) in imports(&modules()) {
        for to in tos {
            let (Some(a), Some(b)) = (rank(&from), rank(&to)) else {
                continue;
            };
            let domain_out = from.starts_with("domain") && !to.starts_with("domain");
            if b < a || domain_out {
                upward.push(format!("{from} -> {to}"));
            }
        }
    }
    // service::bkn::parse reads each BKN event of a batch with the request extractors'
    // `from_value` and control-character check, so each event's problems are its own.
    assert!(
        upward.len() <= 1,
        "imports against the layering: {upward:?}"
    );
}
