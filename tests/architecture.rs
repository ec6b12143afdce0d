//! The shape ARCHITECTURE.md describes, checked on the source: imports run one way (no loop
//! among `src/` files outside `store/`), nothing imports the facade, and no file outgrows 600
//! lines.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `src/session/lookup.rs` is `["session", "lookup"]`.
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src()).unwrap().with_extension("");
    let mut parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The source without comments and without its `#[cfg(test)]` tail.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or_default();
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every `crate::a::b` / `super::a` path in `code`, with `{...}` groups expanded one level,
/// as module paths relative to the crate root.
fn paths(code: &str, module: &[String], defined: &BTreeSet<String>) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let bytes: Vec<char> = code.chars().collect();
    let text: String = bytes.iter().collect();
    for (start, _) in text
        .match_indices("crate::")
        .chain(text.match_indices("super::"))
    {
        if start > 0 && (is_ident(bytes[start - 1]) || bytes[start - 1] == ':') {
            continue;
        }
        let mut rest = &text[start..];
        let mut base: Vec<String> = Vec::new();
        let mut from_super = false;
        if let Some(after) = rest.strip_prefix("crate::") {
            rest = after;
        } else {
            let mut ups = 0;
            while let Some(after) = rest.strip_prefix("super::") {
                ups += 1;
                rest = after;
            }
            base = module[..module.len().saturating_sub(ups)].to_vec();
            from_super = true;
        }
        let mut segments = base.clone();
        loop {
            let ident: String = rest.chars().take_while(|c| is_ident(*c)).collect();
            if ident.is_empty() {
                break;
            }
            rest = &rest[ident.len()..];
            segments.push(ident);
            match rest.strip_prefix("::") {
                Some(after) => rest = after,
                None => break,
            }
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or_default();
            for item in group.split(',') {
                let item: String = item.trim().chars().take_while(|c| is_ident(*c)).collect();
                if !item.is_empty() && item != "self" {
                    let mut path = segments.clone();
                    path.push(item);
                    found.push(path);
                }
            }
        } else {
            // `super::helper` from an inline module names an item of this very file.
            if from_super
                && segments
                    .get(base.len())
                    .is_some_and(|s| defined.contains(s))
            {
                continue;
            }
            found.push(segments);
        }
    }
    found
}

/// The file a module path lands in: the deepest module of it that has a file.
fn file_of(path: &[String], files: &BTreeSet<PathBuf>) -> Option<PathBuf> {
    (0..=path.len()).rev().find_map(|n| {
        let module = &path[..n];
        if module.is_empty() {
            return Some(src().join("lib.rs"));
        }
        let joined = module.join("/");
        [
            src().join(format!("{joined}.rs")),
            src().join(format!("{joined}/mod.rs")),
        ]
        .into_iter()
        .find(|f| files.contains(f))
    })
}

/// Items a file defines at any depth (to tell `super::x` of an inline module apart).
fn defined_items(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for keyword in [
        "fn ", "struct ", "enum ", "const ", "static ", "mod ", "type ", "trait ",
    ] {
        for (at, _) in code.match_indices(keyword) {
            if at > 0 && is_ident(code[..at].chars().last().unwrap()) {
                continue;
            }
            let name: String = code[at + keyword.len()..]
                .chars()
                .take_while(|c| is_ident(*c))
                .collect();
            names.insert(name);
        }
    }
    names
}

fn import_graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut list = Vec::new();
    rust_files(&src(), &mut list);
    let files: BTreeSet<PathBuf> = list.into_iter().collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let code = code(&std::fs::read_to_string(file).unwrap());
        let module = module_of(file);
        let defined = defined_items(&code);
        let mut targets = BTreeSet::new();
        for path in paths(&code, &module, &defined) {
            if let Some(target) = file_of(&path, &files)
                && &target != file
            {
                targets.insert(target);
            }
        }
        // A child module named by its bare path (`sqlite::connect`) from its parent.
        for line in code.lines() {
            let line = line.trim();
            let declared = line
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("pub ")
                .strip_prefix("mod ")
                .and_then(|rest| rest.strip_suffix(';'));
            if let Some(child) = declared
                && code.contains(&format!("{child}::"))
            {
                let mut path = module.clone();
                path.push(child.to_owned());
                if let Some(target) = file_of(&path, &files)
                    && &target != file
                {
                    targets.insert(target);
                }
            }
        }
        graph.insert(file.clone(), targets);
    }
    graph
}

/// Strongly connected components with more than one file (Tarjan's algorithm).
fn loops(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<BTreeSet<PathBuf>> {
    struct State<'a> {
        graph: &'a BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'a PathBuf, usize>,
        low: BTreeMap<&'a PathBuf, usize>,
        stack: Vec<&'a PathBuf>,
        on_stack: BTreeSet<&'a PathBuf>,
        next: usize,
        found: Vec<BTreeSet<PathBuf>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a PathBuf) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        for next in &state.graph[node] {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = BTreeSet::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.insert(top.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[test]
fn imports_form_no_loop_outside_the_store() {
    let graph = import_graph();
    assert!(
        graph.values().map(BTreeSet::len).sum::<usize>() > 100,
        "the graph was read"
    );
    let store = src().join("store");
    for component in loops(&graph) {
        assert!(
            component.iter().all(|f| f.starts_with(&store)),
            "these files import each other in a loop: {component:?}"
        );
    }
}

#[test]
fn nothing_below_the_facade_imports_it() {
    let auth = src().join("auth.rs");
    for (file, targets) in import_graph() {
        if file.ends_with("lib.rs") {
            continue;
        }
        assert!(
            !targets.contains(&auth),
            "{} imports the facade (auth.rs)",
            file.display()
        );
    }
}

#[test]
fn no_source_file_is_over_600_lines() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    for file in files {
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        assert!(lines <= 600, "{} has {lines} lines", file.display());
    }
}

/// The checker itself: a loop it is shown is a loop it reports.
#[test]
fn the_loop_finder_finds_a_loop() {
    let a = PathBuf::from("a.rs");
    let b = PathBuf::from("b.rs");
    let c = PathBuf::from("c.rs");
    let graph = BTreeMap::from([
        (a.clone(), BTreeSet::from([b.clone()])),
        (b.clone(), BTreeSet::from([a.clone(), c.clone()])),
        (c.clone(), BTreeSet::new()),
    ]);
    assert_eq!(loops(&graph), [BTreeSet::from([a, b])]);
}
