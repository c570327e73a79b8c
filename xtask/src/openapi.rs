//! `cargo xtask openapi`: rewrites `docs/openapi.json` from the gateway's derives
//! (`studio-gateway openapi` prints the document; the `openapi` test compares the two).

use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::process::workspace_root;

pub fn write() -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args(["run", "--quiet", "--bin", "studio-gateway", "--", "openapi"])
        .output()
        .with_context(|| format!("cannot run {cargo}"))?;
    if !output.status.success() {
        bail!(
            "studio-gateway openapi failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let path = workspace_root().join("docs/openapi.json");
    std::fs::create_dir_all(path.parent().unwrap_or(&workspace_root()))?;
    std::fs::write(&path, &output.stdout)?;
    eprintln!("xtask: wrote {}", path.display());
    Ok(())
}
