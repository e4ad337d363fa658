//! End-to-end tests of the verified copy engine on real file systems: the disk under
//! /var/tmp, and small tmpfs mounts (as root) for full and read-only destinations.
//!
//! A test that cannot run here (it needs root to mount a file system) calls
//! [`skipped`] and returns. cargo can only report it "ok", so `skipped` also appends its
//! name to the file `$SHUTTERPROOF_SKIPPED_TESTS`; scripts/test.sh sets that variable and
//! counts every line as skipped, not passed. CI runs as root, where they all run.

use std::ffi::CString;
use std::fs::{self, File, FileTimes, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use shutterproof_core::copy::*;
use shutterproof_core::hash::{Algorithm, MultiHasher};
use shutterproof_core::{CancelFlag, Control, ErrorCode, Progress};

/// Small buffers so that modest files still span many of them.
const SMALL_BUFFER: usize = 64 * 1024;
const TMPFS_MAGIC: i64 = 0x0102_1994;

// ---------------------------------------------------------------- helpers

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn fs_type(path: &Path) -> i64 {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let mut s: libc::statfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::statfs(c.as_ptr(), &mut s) }, 0);
    #[allow(clippy::unnecessary_cast)]
    let t = s.f_type as i64;
    t
}

/// Says loudly that `test` did not run, and why, and records it for scripts/test.sh
/// (see the top of this file).
fn skipped(test: &str, why: &str) {
    eprintln!("SKIPPED: {test}: {why} — this test did not run");
    if let Some(list) = std::env::var_os("SHUTTERPROOF_SKIPPED_TESTS") {
        let mut f = OpenOptions::new().create(true).append(true).open(list).unwrap();
        writeln!(f, "copy_engine::{test}: {why}").unwrap();
    }
}

/// A temporary folder on a real disk: /var/tmp, since /tmp may be tmpfs.
fn disk_dir() -> tempfile::TempDir {
    let d = tempfile::Builder::new()
        .prefix("sp-copy-")
        .tempdir_in("/var/tmp")
        .unwrap();
    assert_ne!(
        fs_type(d.path()),
        TMPFS_MAGIC,
        "/var/tmp must be disk-backed for these tests"
    );
    d
}

/// A tmpfs mounted for one test, unmounted on drop. `None` when mounting is not allowed.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        fs::create_dir_all(dir).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

fn write_file(path: &Path, data: &[u8], mtime: SystemTime) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut f = File::create(path).unwrap();
    f.write_all(data).unwrap();
    f.set_times(FileTimes::new().set_modified(mtime).set_accessed(mtime))
        .unwrap();
}

/// A past mtime with nanoseconds, so a copy that forgets the time cannot pass.
fn old_time(i: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::new(1_600_000_000 + i * 3600, 123_456_789 + i as u32)
}

/// Jobs for every file under `root`, relative paths kept.
/// `n` files `IMG_<i>.CR3` of `size` random bytes each under `card`, with old times.
fn write_card(card: &Path, n: u64, size: usize) {
    for i in 0..n {
        write_file(
            &card.join(format!("IMG_{i}.CR3")),
            &random_bytes(size, i),
            old_time(i),
        );
    }
}

fn jobs_for(root: &Path) -> Vec<CopyJob> {
    let mut jobs = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                pending.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_path_buf();
                jobs.push(CopyJob::new(p, rel));
            }
        }
    }
    jobs.sort_by(|a, b| a.relative.cmp(&b.relative));
    jobs
}

fn small_options() -> CopyOptions {
    CopyOptions {
        buffer_bytes: SMALL_BUFFER,
        buffer_count: 4,
        ..CopyOptions::default()
    }
}

fn run(jobs: &[CopyJob], dests: &[PathBuf], options: &CopyOptions) -> (CopyReport, Vec<CopyEvent>) {
    run_with(jobs, dests, options, CancelFlag::new())
}

fn run_with(
    jobs: &[CopyJob],
    dests: &[PathBuf],
    options: &CopyOptions,
    cancel: CancelFlag,
) -> (CopyReport, Vec<CopyEvent>) {
    let mut events = Vec::new();
    let mut control = Control {
        cancel,
        progress: Progress::none(),
    };
    let report = copy_files(jobs, dests, options, &mut control, &mut |e| events.push(e)).unwrap();
    (report, events)
}

/// The progress events among `events`, in order.
fn progress_events(events: &[CopyEvent]) -> Vec<&CopyProgress> {
    events
        .iter()
        .filter_map(|e| match e {
            CopyEvent::Progress(p) => Some(p),
            _ => None,
        })
        .collect()
}

fn assert_no_partials(root: &Path) {
    let left = find_partials(root).unwrap();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    fs::read(a).unwrap() == fs::read(b).unwrap()
}

// ---------------------------------------------------------------- tests

#[test]
fn a_tree_reaches_three_destinations_identical_with_times_and_digests() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    // NFD names (e + combining acute) must arrive byte for byte, not normalised.
    let nfd_dir = "Re\u{301}sume\u{301}";
    let nfd_file = "Cafe\u{301}.CR3";
    let sizes = [0usize, 1, 4095, 4096, 65_537, 3 * SMALL_BUFFER + 5, 1_000_000];
    let mut expected = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let rel = match i % 3 {
            0 => PathBuf::from(format!("DCIM/100CANON/IMG_{i:04}.CR3")),
            1 => PathBuf::from(format!("DCIM/{nfd_dir}/deep/er/IMG_{i:04}.JPG")),
            _ => PathBuf::from(format!("{i}_{nfd_file}")),
        };
        write_file(
            &src.join(&rel),
            &random_bytes(*size, i as u64),
            old_time(i as u64),
        );
        expected.push(rel);
    }
    let dests: Vec<PathBuf> = (1..=3)
        .map(|i| out.path().join(format!("drive{i}/session")))
        .collect();
    let jobs = jobs_for(&src);
    assert_eq!(jobs.len(), sizes.len());
    let started = Instant::now();
    let (report, events) = run(&jobs, &dests, &small_options());
    let elapsed = started.elapsed();

    assert_eq!(report.status, CopyStatus::Completed, "{report:#?}");
    assert!(report.safe_to_format(), "{report:#?}");
    for (job, file) in jobs.iter().zip(report.files.iter()) {
        let data = fs::read(&job.source).unwrap();
        let mut h = MultiHasher::new(&[Algorithm::Blake3, Algorithm::Xxh128]);
        h.update(&data);
        let want = h.finalize();
        assert_eq!(file.digests, Some(want), "{}", job.relative.display());
        assert!(want.get(Algorithm::Blake3).is_some() && want.get(Algorithm::Xxh128).is_some());
        assert_eq!(file.size, data.len() as u64);
        let src_mtime = fs::metadata(&job.source).unwrap().modified().unwrap();
        assert_eq!(file.mtime, Some(src_mtime));
        for (d, root) in dests.iter().enumerate() {
            let copy = root.join(&job.relative);
            assert_eq!(fs::read(&copy).unwrap(), data, "{}", copy.display());
            assert_eq!(fs::metadata(&copy).unwrap().modified().unwrap(), src_mtime);
            let r = &file.destinations[d];
            assert_eq!(r.status, FileStatus::Verified);
            assert!(matches!(
                r.method,
                VerifyMethod::DiskDirect | VerifyMethod::DiskEvicted
            ));
        }
    }
    for root in &dests {
        let names: Vec<_> = fs::read_dir(root.join("DCIM"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert!(
            names.iter().any(|n| n.as_bytes() == nfd_dir.as_bytes()),
            "{names:?}"
        );
        assert_no_partials(root);
    }
    for s in &report.destinations {
        assert!(s.is_verified(), "{s:?}");
        assert_eq!(s.verified, sizes.len());
        assert_eq!(s.bytes_written, sizes.iter().sum::<usize>() as u64);
    }
    assert_eq!(report.bytes_read, sizes.iter().sum::<usize>() as u64);

    // Progress: throttled to ~20/s besides the first, the card-read and the last event; the
    // last says everything is done.
    let progress = progress_events(&events);
    let allowed = (elapsed.as_secs_f64() * 20.0).ceil() as usize + 3;
    assert!(
        progress.len() <= allowed,
        "{} events in {elapsed:?}",
        progress.len()
    );
    let last = progress.last().unwrap();
    assert_eq!((last.files_done, last.files_total), (sizes.len(), sizes.len()));
    assert_eq!(last.bytes_read, report.bytes_read);
    assert!(last
        .destinations
        .iter()
        .all(|d| d.state == DestinationState::Finished));
}

/// The start and the end of the card's read are told at once, not at the next throttled
/// tick: a card read in less than one tick still gives a screen a frame of its reading
/// and one of its checking phase (issue #18: "reading back" was sometimes never drawn).
#[test]
fn a_copy_shorter_than_one_tick_still_tells_its_start_and_its_card_read() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_card(&src, 3, 10);
    let dests = vec![out.path().join("a")];
    let jobs = jobs_for(&src);
    let (report, events) = run(&jobs, &dests, &CopyOptions::default());
    assert_eq!(report.status, CopyStatus::Completed, "{report:#?}");
    let progress = progress_events(&events);
    let copying = |p: &CopyProgress| {
        p.destinations
            .iter()
            .all(|d| d.state == DestinationState::Copying)
    };
    let first = progress[0];
    assert!(first.files_done == 0 && copying(first), "{progress:#?}");
    let (last, running) = progress.split_last().unwrap();
    assert!(
        running
            .iter()
            .any(|p| p.bytes_read == report.bytes_read && copying(p)),
        "no event between the card's last read and the end: {progress:#?}"
    );
    assert!(last
        .destinations
        .iter()
        .all(|d| d.state == DestinationState::Finished));
}

#[test]
fn two_thousand_tiny_files_are_all_verified() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    for i in 0..2000u64 {
        let rel = format!("d{:02}/f{i:04}.xmp", i % 20);
        write_file(
            &src.join(rel),
            &random_bytes((i % 97) as usize, i),
            old_time(i % 7),
        );
    }
    let dests = vec![out.path().join("a"), out.path().join("b")];
    let jobs = jobs_for(&src);
    let (report, _) = run(&jobs, &dests, &CopyOptions::default());
    assert_eq!(report.status, CopyStatus::Completed);
    for s in &report.destinations {
        assert_eq!(s.verified, 2000, "{s:?}");
    }
    for job in jobs.iter().step_by(97) {
        for root in &dests {
            assert!(same_bytes(&job.source, &root.join(&job.relative)));
        }
    }
    // A handful of pool buffers served 2,000 files.
    assert!(report.pool.allocations <= report.pool.buffer_count);
}

#[test]
fn a_full_destination_fails_with_e_no_space_and_the_others_finish() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_card(&src, 3, 600_000);
    let jobs = jobs_for(&src);
    let small = out.path().join("small");
    let mount = Mount::tmpfs(&small, "size=1m");
    let mut options = small_options();
    if mount.is_none() {
        // Without mount rights, inject ENOSPC at the same point a full disk would.
        // Not a skip: the same failure, reached through the seam instead of a full disk.
        println!("no tmpfs mount here (not root): ENOSPC comes from the fault-injecting writer seam");
        // `offset` is within one file (600,000 bytes each): ENOSPC part-way through the
        // first one, as a 1 MiB tmpfs gives it part-way through the second.
        options.hooks.before_write = Some(Arc::new(|d: usize, _: &Path, offset: u64| {
            if d == 1 && offset >= 300_000 {
                Err(io::Error::from_raw_os_error(libc::ENOSPC))
            } else {
                Ok(())
            }
        }));
    }
    let dests = vec![out.path().join("big1"), small.clone(), out.path().join("big2")];
    let (report, events) = run(&jobs, &dests, &options);

    let full = &report.destinations[1];
    assert_eq!(
        full.failure.as_ref().map(|f| f.code),
        Some(ErrorCode::NoSpace),
        "{full:?}"
    );
    assert!(full.failure.as_ref().unwrap().message.contains("free space"));
    assert!(full.failed >= 1);
    assert_no_partials(&small);
    for d in [0, 2] {
        assert!(
            report.destinations[d].is_verified(),
            "{:?}",
            report.destinations[d]
        );
    }
    for f in report.files.iter() {
        assert_eq!(f.destinations[0].status, FileStatus::Verified);
        if f.destinations[1].status == FileStatus::Failed {
            assert_eq!(
                f.destinations[1].failure.as_ref().unwrap().code,
                ErrorCode::NoSpace
            );
            assert!(!small.join(&jobs[f.index].relative).exists());
        }
    }
    assert_eq!(report.status, CopyStatus::CompletedWithFailures);
    assert!(!report.safe_to_format());
    let failed_events = events
        .iter()
        .filter(|e| matches!(e, CopyEvent::DestinationFailed { index: 1, .. }))
        .count();
    assert_eq!(failed_events, 1);
    drop(mount);
}

#[test]
fn a_large_file_that_cannot_fit_fails_e_no_space_before_any_byte_is_written() {
    // Large files are written with O_DIRECT into a file preallocated to the source's size:
    // a destination without room fails at once, with the typed error and no partial file.
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_file(&src.join("MVI_0001.MP4"), &random_bytes(3 << 20, 7), old_time(7));
    let jobs = jobs_for(&src);
    let small = out.path().join("small");
    let Some(mount) = Mount::tmpfs(&small, "size=1m") else {
        skipped(
            "a_large_file_that_cannot_fit_fails_e_no_space_before_any_byte_is_written",
            "no tmpfs mount here (not root)",
        );
        return;
    };
    let dests = vec![out.path().join("big"), small.clone()];
    let (report, _) = run(&jobs, &dests, &CopyOptions::default());

    let full = &report.destinations[1];
    assert_eq!(
        full.failure.as_ref().map(|f| f.code),
        Some(ErrorCode::NoSpace),
        "{full:?}"
    );
    assert!(
        full.failure.as_ref().unwrap().message.contains("MVI_0001.MP4"),
        "{full:?}"
    );
    assert_no_partials(&small);
    assert!(!small.join("MVI_0001.MP4").exists());
    assert!(
        report.destinations[0].is_verified(),
        "{:?}",
        report.destinations[0]
    );
    assert!(same_bytes(&jobs[0].source, &dests[0].join("MVI_0001.MP4")));
    assert_eq!(report.status, CopyStatus::CompletedWithFailures);
    drop(mount);
}

#[test]
fn a_read_only_destination_is_refused_before_anything_is_copied() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_file(&src.join("IMG_1.CR3"), &random_bytes(1000, 1), old_time(1));
    let ro = out.path().join("ro");
    let Some(mount) = Mount::tmpfs(&ro, "ro,size=1m") else {
        return skipped(
            "a_read_only_destination_is_refused_before_anything_is_copied",
            "cannot mount a read-only tmpfs (needs root)",
        );
    };
    let good = out.path().join("good");
    let err = copy_files(
        &jobs_for(&src),
        &[good.clone(), ro.clone()],
        &CopyOptions::default(),
        &mut Control::none(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::ReadOnly, "{err}");
    assert!(err.message.contains("ro"), "{err}");
    assert!(
        !good.join("IMG_1.CR3").exists(),
        "nothing may be copied after a refusal"
    );
    drop(mount);
}

#[test]
fn destinations_inside_the_source_are_refused_and_the_source_is_never_overwritten() {
    let src_dir = disk_dir();
    let card = src_dir.path().join("card");
    let data = random_bytes(5000, 9);
    write_file(&card.join("DCIM/IMG_1.CR3"), &data, old_time(1));
    let jobs = jobs_for(&card);

    // Inside the folder of a source file.
    let inside = card.join("DCIM/backup");
    let err = copy_files(
        &jobs,
        std::slice::from_ref(&inside),
        &CopyOptions::default(),
        &mut Control::none(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);
    assert!(err.message.contains("inside the source"), "{err}");
    assert!(!inside.exists(), "a refused destination must not be created");

    // Inside the declared card root, though not inside the file's own folder.
    let options = CopyOptions {
        source_root: Some(card.clone()),
        ..CopyOptions::default()
    };
    let err = copy_files(
        &jobs,
        &[card.join("backup")],
        &options,
        &mut Control::none(),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidArgument);

    // A destination whose final path *is* the source: refused per file, source intact.
    let jobs = vec![CopyJob::new(card.join("DCIM/IMG_1.CR3"), "card/DCIM/IMG_1.CR3")];
    let (report, _) = run(&jobs, &[src_dir.path().to_path_buf()], &CopyOptions::default());
    let r = &report.files.result(0, 0);
    assert_eq!(r.status, FileStatus::Failed);
    assert_eq!(r.failure.as_ref().unwrap().code, ErrorCode::Exists);
    assert_eq!(fs::read(card.join("DCIM/IMG_1.CR3")).unwrap(), data);
}

#[test]
fn a_source_that_grows_during_the_copy_is_flagged_and_never_verified() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_file(
        &src.join("growing.MP4"),
        &random_bytes(10 * SMALL_BUFFER, 1),
        old_time(1),
    );
    write_file(
        &src.join("still.CR3"),
        &random_bytes(3 * SMALL_BUFFER, 2),
        old_time(2),
    );
    let appended = Arc::new(AtomicBool::new(false));
    let mut options = small_options();
    let flag = Arc::clone(&appended);
    options.hooks.after_read = Some(Arc::new(move |path: &Path, offset: u64| {
        // The camera (or another program) keeps writing after the copy started.
        if path.ends_with("growing.MP4")
            && offset == SMALL_BUFFER as u64
            && !flag.swap(true, Ordering::SeqCst)
        {
            let mut f = OpenOptions::new().append(true).open(path).unwrap();
            f.write_all(b"more frames").unwrap();
        }
    }));
    let dests = vec![out.path().join("a"), out.path().join("b")];
    let jobs = jobs_for(&src);
    let (report, _) = run(&jobs, &dests, &options);
    assert!(appended.load(Ordering::SeqCst));

    let grown = report
        .files
        .iter()
        .find(|f| jobs[f.index].relative.ends_with("growing.MP4"))
        .unwrap();
    assert_eq!(grown.source_state, SourceState::Changed);
    assert_eq!(
        grown.source_failure.as_ref().unwrap().code,
        ErrorCode::SourceChanged
    );
    assert!(grown.digests.is_none());
    for (d, root) in dests.iter().enumerate() {
        let r = &grown.destinations[d];
        assert_eq!(r.status, FileStatus::Failed);
        assert_eq!(r.failure.as_ref().unwrap().code, ErrorCode::SourceChanged);
        assert!(!root.join("growing.MP4").exists());
        assert!(root.join("still.CR3").exists());
        assert_no_partials(root);
    }
    let still = report
        .files
        .iter()
        .find(|f| jobs[f.index].relative.ends_with("still.CR3"))
        .unwrap();
    assert!(still
        .destinations
        .iter()
        .all(|r| r.status == FileStatus::Verified));
    assert_eq!(report.status, CopyStatus::CompletedWithFailures);
}

#[test]
fn cancelling_mid_copy_leaves_no_partial_file_under_any_name() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_card(&src, 8, 16 * SMALL_BUFFER);
    let cancel = CancelFlag::new();
    let trigger = cancel.clone();
    let mut options = small_options();
    options.hooks.after_read = Some(Arc::new(move |path: &Path, offset: u64| {
        if path.ends_with("IMG_3.CR3") && offset == 5 * SMALL_BUFFER as u64 {
            trigger.cancel();
        }
    }));
    let dests = vec![out.path().join("a"), out.path().join("b")];
    let jobs = jobs_for(&src);
    let (report, events) = run_with(&jobs, &dests, &options, cancel);

    assert_eq!(report.status, CopyStatus::Aborted);
    assert!(!report.safe_to_format());
    // The last progress event says what was done: never every file, never "finished".
    let last = events
        .iter()
        .rev()
        .find_map(|e| match e {
            CopyEvent::Progress(p) => Some(p),
            _ => None,
        })
        .unwrap();
    assert!(last.files_done < jobs.len(), "{last:?}");
    for d in &last.destinations {
        assert_eq!(d.state, DestinationState::Aborted, "{last:?}");
        assert!(
            d.files_done < jobs.len() && d.bytes_done < last.bytes_total,
            "{last:?}"
        );
    }
    for root in &dests {
        assert_no_partials(root);
        for job in &jobs {
            let copy = root.join(&job.relative);
            if copy.exists() {
                assert!(
                    same_bytes(&job.source, &copy),
                    "partial file under a final name: {copy:?}"
                );
            }
        }
        assert!(!root.join("IMG_3.CR3").exists());
        assert!(!root.join("IMG_7.CR3").exists());
    }
    let f3 = report
        .files
        .iter()
        .find(|f| jobs[f.index].relative.ends_with("IMG_3.CR3"))
        .unwrap();
    assert!(
        f3.destinations.iter().all(|r| r.status == FileStatus::Aborted),
        "{f3:?}"
    );
}

#[test]
fn read_back_comes_from_the_disk_not_the_page_cache() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_card(&src, 3, 2_000_000);
    let jobs = jobs_for(&src);

    // Eviction path (O_DIRECT off): when read-back starts, no page of the copy is resident.
    let seen: Arc<Mutex<Vec<(VerifyMethod, u64, u64)>>> = Arc::default();
    let log = Arc::clone(&seen);
    let options = CopyOptions {
        direct_io: false,
        hooks: CopyHooks {
            before_verify_read: Some(Arc::new(move |_d: usize, path: &Path, method: VerifyMethod| {
                let (resident, total) = resident_pages(path).unwrap();
                log.lock().unwrap().push((method, resident, total));
            })),
            ..CopyHooks::default()
        },
        ..CopyOptions::default()
    };
    let (report, _) = run(&jobs, &[out.path().join("evicted")], &options);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    for (method, resident, total) in seen {
        assert_eq!(method, VerifyMethod::DiskEvicted);
        assert!(total > 0);
        assert_eq!(
            resident, 0,
            "{resident} of {total} pages still cached when read-back began"
        );
    }
    assert!(report
        .files
        .iter()
        .all(|f| f.destinations[0].method == VerifyMethod::DiskEvicted));

    // Default options on a disk file system: O_DIRECT.
    let (report, _) = run(&jobs, &[out.path().join("direct")], &CopyOptions::default());
    for f in report.files.iter() {
        assert_eq!(f.destinations[0].status, FileStatus::Verified);
        assert_eq!(f.destinations[0].method, VerifyMethod::DiskDirect);
    }
    assert!(report.safe_to_format());
}

#[test]
fn on_tmpfs_the_report_admits_the_read_back_came_from_memory() {
    let src_dir = disk_dir();
    let src = src_dir.path().join("card");
    write_file(&src.join("IMG_1.CR3"), &random_bytes(300_000, 1), old_time(1));
    let shm = Path::new("/dev/shm");
    let (dir, _mount) = if shm.is_dir() && fs_type(shm) == TMPFS_MAGIC {
        (tempfile::tempdir_in(shm).unwrap(), None)
    } else {
        let d = tempfile::tempdir().unwrap();
        let Some(m) = Mount::tmpfs(d.path(), "size=4m") else {
            return skipped(
                "on_tmpfs_the_report_admits_the_read_back_came_from_memory",
                "no /dev/shm and cannot mount a tmpfs (needs root)",
            );
        };
        (d, Some(m))
    };
    let (report, _) = run(&jobs_for(&src), &[dir.path().join("t")], &CopyOptions::default());
    let r = &report.files.result(0, 0);
    assert_eq!(r.status, FileStatus::Verified);
    assert_eq!(r.method, VerifyMethod::Cache);
    assert!(
        !report.safe_to_format(),
        "a copy checked only in memory must not clear the card"
    );
    let (resident, total) = resident_pages(&dir.path().join("t/IMG_1.CR3")).unwrap();
    assert_eq!(resident, total, "tmpfs pages cannot be evicted");
}

#[test]
fn the_pool_never_allocates_more_than_its_bound_for_a_large_file() {
    const SIZE: u64 = 256 * 1024 * 1024;
    let src_dir = disk_dir();
    let out = disk_dir();
    let path = src_dir.path().join("card/CLIP.MOV");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        // Sparse with real bytes scattered through it: cheap to make, still worth hashing.
        let f = File::create(&path).unwrap();
        f.set_len(SIZE).unwrap();
        for i in 0..16u64 {
            use std::os::unix::fs::FileExt;
            f.write_all_at(&random_bytes(4096, i), i * (SIZE / 16) + 12_345)
                .unwrap();
        }
    }
    let options = CopyOptions {
        buffer_count: 4,
        verify: VerifyMode::Size,
        ..CopyOptions::default()
    };
    let dests = vec![out.path().join("a"), out.path().join("b")];
    let jobs = vec![CopyJob::new(&path, "CLIP.MOV")];
    let (report, _) = run(&jobs, &dests, &options);
    assert_eq!(report.status, CopyStatus::Completed, "{report:#?}");
    assert_eq!(report.bytes_read, SIZE);
    assert_eq!(report.pool.buffer_count, 4);
    assert!(report.pool.allocations <= 4, "{:?}", report.pool);
    assert!(report.pool.peak_in_use <= 4, "{:?}", report.pool);
    assert!(SIZE / DEFAULT_BUFFER_BYTES as u64 > 4 * report.pool.allocations as u64);
    for root in &dests {
        assert_eq!(fs::metadata(root.join("CLIP.MOV")).unwrap().len(), SIZE);
        assert_eq!(report.files.result(0, 0).method, VerifyMethod::Size);
    }
    let d = report.files.digests(0).unwrap();
    let again = shutterproof_core::hash::hash_file(
        &dests[1].join("CLIP.MOV"),
        &options.algorithms,
        &mut Control::none(),
    )
    .unwrap();
    assert_eq!(again.digests, d);
}

#[test]
fn identical_files_are_skipped_and_different_ones_never_overwritten() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_card(&src, 4, 100_000);
    let jobs = jobs_for(&src);
    let dest = vec![out.path().join("a")];
    let (first, _) = run(&jobs, &dest, &small_options());
    assert_eq!(first.destinations[0].verified, 4);

    let (second, _) = run(&jobs, &dest, &small_options());
    assert_eq!(
        second.destinations[0].skipped_identical, 4,
        "{:?}",
        second.destinations[0]
    );
    assert_eq!(second.destinations[0].bytes_written, 0);
    assert!(second.safe_to_format());

    // Same size, one byte different: refused, left as it was.
    let victim = dest[0].join("IMG_2.CR3");
    let mut bytes = fs::read(&victim).unwrap();
    bytes[500] ^= 0xff;
    fs::write(&victim, &bytes).unwrap();
    let (third, _) = run(&jobs, &dest, &small_options());
    let r = &third.files.result(2, 0);
    assert_eq!(r.status, FileStatus::Failed);
    assert_eq!(r.failure.as_ref().unwrap().code, ErrorCode::Exists);
    assert_eq!(fs::read(&victim).unwrap(), bytes);
    assert!(is_identical(
        &dest[0].join("IMG_1.CR3"),
        100_000,
        &third.files.digests(1).unwrap(),
        &CancelFlag::new()
    )
    .unwrap());
    assert!(!is_identical(
        &victim,
        100_000,
        &third.files.digests(2).unwrap(),
        &CancelFlag::new()
    )
    .unwrap());
    // The same through hex, as a record holds it; text that is no digest never matches.
    let d1 = third.files.digests(1).unwrap();
    let hex: Vec<(Algorithm, String)> = d1.iter().map(|(a, _)| (a, d1.hex(a).unwrap())).collect();
    let path = dest[0].join("IMG_1.CR3");
    assert!(is_identical_hex(&path, 100_000, &hex, &CancelFlag::new()).unwrap());
    let odd = [(Algorithm::Blake3, "not hex".to_string())];
    assert!(!is_identical_hex(&path, 100_000, &odd, &CancelFlag::new()).unwrap());
}

#[test]
fn a_copy_that_reads_back_wrong_fails_with_e_verify_mismatch_and_is_removed() {
    let src_dir = disk_dir();
    let out = disk_dir();
    let src = src_dir.path().join("card");
    write_file(&src.join("IMG_1.CR3"), &random_bytes(200_000, 1), old_time(1));
    write_file(&src.join("IMG_2.CR3"), &random_bytes(200_000, 2), old_time(2));
    let corruptions = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&corruptions);
    let mut options = small_options();
    options.hooks.before_verify_read = Some(Arc::new(move |d: usize, path: &Path, _m: VerifyMethod| {
        // Bit rot between write and read-back, on the second destination only.
        if d == 1 && path.ends_with("IMG_2.CR3") {
            use std::os::unix::fs::FileExt;
            let f = OpenOptions::new().write(true).open(path).unwrap();
            f.write_all_at(b"rot", 1000).unwrap();
            f.sync_all().unwrap();
            count.fetch_add(1, Ordering::SeqCst);
        }
    }));
    let dests = vec![out.path().join("a"), out.path().join("b")];
    let (report, _) = run(&jobs_for(&src), &dests, &options);
    assert!(corruptions.load(Ordering::SeqCst) >= 1);
    let r = &report.files.result(1, 1);
    assert_eq!(r.status, FileStatus::Failed);
    assert_eq!(r.failure.as_ref().unwrap().code, ErrorCode::VerifyMismatch);
    assert!(
        !dests[1].join("IMG_2.CR3").exists(),
        "a bad copy must not keep its final name"
    );
    assert_eq!(report.files.result(1, 0).status, FileStatus::Verified);
    assert_eq!(report.status, CopyStatus::CompletedWithFailures);
}

#[test]
fn stale_partials_from_an_interrupted_run_are_removed_before_resuming() {
    let out = disk_dir();
    let root = out.path().join("a");
    fs::create_dir_all(root.join("DCIM")).unwrap();
    fs::write(root.join("DCIM/.IMG_1.CR3.sp-partial"), b"half").unwrap();
    fs::write(root.join("DCIM/IMG_0.CR3"), b"whole").unwrap();
    assert_eq!(find_partials(&root).unwrap().len(), 1);
    let removed = remove_stale_partials(&root).unwrap();
    assert_eq!(removed, vec![root.join("DCIM/.IMG_1.CR3.sp-partial")]);
    assert_no_partials(&root);
    assert!(root.join("DCIM/IMG_0.CR3").exists());
}

#[test]
fn read_back_of_a_file_spanning_several_blocks_checks_every_byte() {
    // Larger than the read-back blocks (read on a helper thread while hashing) and not
    // a multiple of the O_DIRECT alignment, so the short tail read is exercised too.
    let dir = disk_dir();
    let path = dir.path().join("big.bin");
    let len = 9 * 1024 * 1024 + 12_345;
    let data = random_bytes(len, 7);
    let mut h = MultiHasher::new(&[Algorithm::Blake3, Algorithm::Xxh128]);
    h.update(&data);
    let digests = h.finalize();
    fs::write(&path, &data).unwrap();
    File::open(&path).unwrap().sync_all().unwrap();
    assert!(is_identical(&path, len as u64, &digests, &CancelFlag::new()).unwrap());

    // One byte changed in a middle block, then in the tail: both are caught.
    for at in [5 * 1024 * 1024 + 3, len - 2] {
        use std::os::unix::fs::FileExt;
        let f = OpenOptions::new().write(true).open(&path).unwrap();
        f.write_all_at(&[data[at] ^ 1], at as u64).unwrap();
        f.sync_all().unwrap();
        assert!(!is_identical(&path, len as u64, &digests, &CancelFlag::new()).unwrap());
        f.write_all_at(&[data[at]], at as u64).unwrap();
        f.sync_all().unwrap();
    }

    // Cancelled before it starts: an error, never a verdict.
    let cancel = CancelFlag::new();
    cancel.cancel();
    let err = is_identical(&path, len as u64, &digests, &cancel).unwrap_err();
    assert_eq!(err.code, ErrorCode::Aborted);
}
