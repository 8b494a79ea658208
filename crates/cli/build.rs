//! Stamps the binary with the commit it was built from, for `stepwise --version`.
//!
//! Outside a git checkout (a crate tarball, a Docker context without `.git`) the commit
//! is unknown and the version says so rather than failing the build.
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let text = text.trim();
    (out.status.success() && !text.is_empty()).then(|| text.to_owned())
}

fn main() {
    // A build given its commit from outside (a Docker build arg) keeps it.
    let commit = std::env::var("STEPWISE_COMMIT")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown commit".to_owned());
    println!("cargo:rustc-env=STEPWISE_COMMIT={commit}");
    println!("cargo:rerun-if-env-changed=STEPWISE_COMMIT");
    // Rebuild when HEAD moves: HEAD itself (a checkout) and the branch it names (a commit).
    // `--git-path` finds them in a worktree too, where `.git` is a file.
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])];
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &branch]));
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"]));
    }
    for path in watched.into_iter().flatten() {
        if std::path::Path::new(&path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
}
