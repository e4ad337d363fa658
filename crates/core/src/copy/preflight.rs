//! Checks made before a single byte is read, so that a mistake in the setup (a read-only
//! drive, a destination inside the card) is refused up front instead of discovered at
//! file 1,473.

use std::collections::HashSet;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use super::jobs::Jobs;
use super::partial::PARTIAL_SUFFIX;
use super::types::CopyOptions;
use crate::error::{Error, Result};

/// Buffer bounds: below 64 KiB syscalls dominate; above 256 MiB the "bounded" pool stops
/// meaning much on a laptop.
const MIN_BUFFER_BYTES: usize = 64 * 1024;
const MAX_BUFFER_BYTES: usize = 256 * 1024 * 1024;
/// Two buffers let the reader fill one while writers drain the other.
const MIN_BUFFER_COUNT: usize = 2;
const MAX_BUFFER_COUNT: usize = 64;

/// Validates everything and returns the destination roots, created and canonical.
pub(crate) fn check(
    jobs: &dyn Jobs,
    destinations: &[PathBuf],
    options: &CopyOptions,
) -> Result<Vec<PathBuf>> {
    check_options(options)?;
    check_relatives(jobs)?;
    if destinations.is_empty() {
        return Err(Error::invalid(
            "no destination given; name at least one folder to copy to",
        ));
    }
    let forbidden = source_folders(jobs, options);
    let forbidden_ids: Vec<(u64, u64)> = forbidden.iter().filter_map(|p| device_inode(p)).collect();
    // First every check that creates nothing, so a refusal leaves no folder behind.
    // Folders are compared by device and inode, not by path: a bind mount or a second
    // mount of the same drive reaches the same folder by another path.
    let mut resolved: Vec<FolderId> = Vec::with_capacity(destinations.len());
    for dest in destinations {
        let path = resolve(dest)?;
        let id = folder_id(&path);
        let inside = forbidden
            .iter()
            .find(|src| path.starts_with(src))
            .cloned()
            .or_else(|| {
                id.existing_ancestors
                    .iter()
                    .find(|(_, a)| forbidden_ids.contains(a))
                    .map(|(p, _)| p.clone())
            });
        if let Some(src) = inside {
            return Err(Error::invalid(format!(
                "{}: the destination is inside the source folder {}; choose a folder outside it",
                dest.display(),
                src.display()
            ))
            .with_path(dest));
        }
        if let Some(i) = resolved.iter().position(|r| r.same_as(&id)) {
            return Err(Error::invalid(format!(
                "{}: the same folder as destination {} ({}): same device and inode; give each destination once",
                dest.display(),
                i + 1,
                destinations[i].display()
            ))
            .with_path(dest));
        }
        resolved.push(id);
    }
    let mut roots: Vec<PathBuf> = Vec::with_capacity(destinations.len());
    for dest in destinations {
        let root = prepare_root(dest)?;
        probe_writable(&root, dest)?;
        roots.push(root);
    }
    Ok(roots)
}

fn check_options(o: &CopyOptions) -> Result<()> {
    if !(MIN_BUFFER_BYTES..=MAX_BUFFER_BYTES).contains(&o.buffer_bytes) {
        return Err(Error::invalid(format!(
            "buffer size {} is out of range; use {MIN_BUFFER_BYTES}..={MAX_BUFFER_BYTES} bytes",
            o.buffer_bytes
        )));
    }
    if !(MIN_BUFFER_COUNT..=MAX_BUFFER_COUNT).contains(&o.buffer_count) {
        return Err(Error::invalid(format!(
            "buffer count {} is out of range; use {MIN_BUFFER_COUNT}..={MAX_BUFFER_COUNT}",
            o.buffer_count
        )));
    }
    Ok(())
}

fn check_relatives(jobs: &dyn Jobs) -> Result<()> {
    let mut seen = HashSet::with_capacity(jobs.len());
    for i in 0..jobs.len() {
        let rel = jobs.relative(i);
        let plain = rel.components().all(|c| matches!(c, Component::Normal(_)));
        if !plain || rel.as_os_str().is_empty() {
            return Err(Error::invalid(format!(
                "{}: a destination path must be relative, without `..` or `.`; fix the job for {}",
                rel.display(),
                jobs.source(i).display()
            )));
        }
        if rel.file_name().is_some_and(super::partial::is_partial_name) {
            return Err(Error::invalid(format!(
                "{}: names ending in {PARTIAL_SUFFIX} are reserved for unfinished copies; rename it",
                rel.display()
            )));
        }
        if !seen.insert(rel) {
            return Err(Error::invalid(format!(
                "{}: two jobs write the same destination path; give each file its own name",
                rel.display()
            )));
        }
    }
    Ok(())
}

/// Where a destination folder is, independent of the path that names it: the device and
/// inode of its nearest existing folder, and the names below that which do not exist yet.
struct FolderId {
    path: PathBuf,
    base: Option<(u64, u64)>,
    rest: PathBuf,
    /// Every existing folder from the nearest one up to `/`, with its device and inode.
    existing_ancestors: Vec<(PathBuf, (u64, u64))>,
}

impl FolderId {
    fn same_as(&self, other: &FolderId) -> bool {
        match (self.base, other.base) {
            (Some(a), Some(b)) => a == b && self.rest == other.rest,
            _ => self.path == other.path,
        }
    }
}

fn device_inode(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

/// The identity of a canonical path (as `resolve` returns it).
fn folder_id(path: &Path) -> FolderId {
    let mut rest = Vec::new();
    let mut base = None;
    let mut existing_ancestors = Vec::new();
    for a in path.ancestors() {
        match device_inode(a) {
            Some(id) => {
                base.get_or_insert(id);
                existing_ancestors.push((a.to_path_buf(), id));
            }
            None if base.is_none() => rest.push(a.file_name().unwrap_or_default().to_owned()),
            None => {}
        }
    }
    FolderId {
        path: path.to_path_buf(),
        base,
        rest: rest.iter().rev().collect(),
        existing_ancestors,
    }
}

/// The folders a destination must not be inside: each source file's folder and the
/// declared source root, canonical so that symlinks and `..` cannot hide them.
fn source_folders(jobs: &dyn Jobs, options: &CopyOptions) -> Vec<PathBuf> {
    let mut parents: HashSet<PathBuf> = (0..jobs.len())
        .filter_map(|i| jobs.source(i).parent().map(Path::to_path_buf))
        .collect();
    if let Some(root) = options.source_root.as_deref() {
        parents.insert(root.to_path_buf());
    }
    let mut out: Vec<PathBuf> = parents
        .into_iter()
        .filter_map(|p| {
            fs::canonicalize(if p.as_os_str().is_empty() {
                Path::new(".")
            } else {
                &p
            })
            .ok()
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The canonical form of `dest`, which may not exist yet: canonicalize the nearest
/// existing ancestor and append the rest.
fn resolve(dest: &Path) -> Result<PathBuf> {
    let absolute = std::path::absolute(dest).map_err(|e| destination_error(e, dest))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        match fs::canonicalize(existing) {
            Ok(mut base) => {
                base.extend(rest.iter().rev());
                return Ok(base);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match (existing.parent(), existing.file_name()) {
                    (Some(parent), Some(name)) => {
                        rest.push(name.to_owned());
                        existing = parent;
                    }
                    _ => return Err(destination_error(e, dest)),
                }
            }
            Err(e) => return Err(destination_error(e, dest)),
        }
    }
}

fn prepare_root(dest: &Path) -> Result<PathBuf> {
    fs::create_dir_all(dest).map_err(|e| destination_error(e, dest))?;
    let root = fs::canonicalize(dest).map_err(|e| destination_error(e, dest))?;
    if !root.is_dir() {
        return Err(Error::invalid(format!(
            "{}: not a folder; name a folder to copy into",
            dest.display()
        ))
        .with_path(dest));
    }
    Ok(root)
}

/// Permission bits do not stop root, and a read-only mount says so only when written
/// to: so write a probe file, named like a partial so a crash leaves nothing unknown.
fn probe_writable(root: &Path, dest: &Path) -> Result<()> {
    let probe = root.join(format!(
        ".shutterproof-probe-{}{PARTIAL_SUFFIX}",
        std::process::id()
    ));
    let _ = fs::remove_file(&probe);
    let result = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| f.write_all(b"probe"));
    let _ = fs::remove_file(&probe);
    result.map_err(|e| destination_error(e, dest))
}

fn destination_error(e: std::io::Error, dest: &Path) -> Error {
    let mut err = Error::io(e, dest);
    err.message = format!("destination {}", err.message);
    err
}
