//! Profiling aid for the copy engine (not a benchmark with assertions).
//!
//! `copy_profile readback FILE [REPS]`: hashes FILE as a verified read-back would
//! (O_DIRECT, else evicted), REPS times, and prints each time.
//! `copy_profile copy CARD DEST N_DEST destination|size [REPS]`: copies every file under
//! CARD to N_DEST fresh folders under DEST, REPS times, and prints each time.
use std::path::{Path, PathBuf};
use std::time::Instant;

use shutterproof_core::copy::{copy_files, is_identical, CopyJob, CopyOptions, VerifyMode};
use shutterproof_core::hash::{Algorithm, MultiHasher};
use shutterproof_core::{CancelFlag, Control};

fn walk(root: &Path, dir: &Path, out: &mut Vec<CopyJob>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(root, &p, out);
        } else {
            out.push(CopyJob {
                relative: p.strip_prefix(root).unwrap().to_path_buf(),
                source: p,
            });
        }
    }
}

static PEAK: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Samples RssAnon of this process every 5 ms, as bench/lib/rss.ts does for the CLI.
fn sample_rss() {
    std::thread::spawn(|| loop {
        if let Ok(s) = std::fs::read_to_string("/proc/self/status") {
            if let Some(kib) = s
                .lines()
                .find_map(|l| l.strip_prefix("RssAnon:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                PEAK.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    });
}

fn main() {
    sample_rss();
    let args: Vec<String> = std::env::args().collect();
    match args[1].as_str() {
        "readback" => {
            let path = PathBuf::from(&args[2]);
            let reps: usize = args.get(3).map_or(3, |s| s.parse().unwrap());
            let data = std::fs::read(&path).unwrap();
            let mut h = MultiHasher::new(&[Algorithm::Blake3, Algorithm::Xxh128]);
            h.update(&data);
            let digests = h.finalize();
            drop(data);
            for _ in 0..reps {
                let t = Instant::now();
                let same = is_identical(
                    &path,
                    std::fs::metadata(&path).unwrap().len(),
                    &digests,
                    &CancelFlag::new(),
                )
                .unwrap();
                println!(
                    "readback {:.1} ms identical={same}",
                    t.elapsed().as_secs_f64() * 1e3
                );
            }
        }
        "copy" => {
            let card = PathBuf::from(&args[2]);
            let dest = PathBuf::from(&args[3]);
            let n: usize = args[4].parse().unwrap();
            let verify = if args[5] == "size" {
                VerifyMode::Size
            } else {
                VerifyMode::Destination
            };
            let reps: usize = args.get(6).map_or(3, |s| s.parse().unwrap());
            let mut jobs = Vec::new();
            walk(&card, &card, &mut jobs);
            for _ in 0..reps {
                let dests: Vec<PathBuf> = (0..n).map(|i| dest.join(format!("d{i}"))).collect();
                let _ = std::fs::remove_dir_all(&dest);
                for d in &dests {
                    std::fs::create_dir_all(d).unwrap();
                }
                std::process::Command::new("sync").status().unwrap();
                for j in &jobs {
                    // Card in the page cache, without holding it in memory.
                    std::io::copy(&mut std::fs::File::open(&j.source).unwrap(), &mut std::io::sink())
                        .unwrap();
                }
                let defaults = CopyOptions::default();
                // COPY_BUFFERS=N tries another pool size.
                let buffer_count = std::env::var("COPY_BUFFERS")
                    .ok()
                    .map_or(defaults.buffer_count, |v| v.parse().unwrap());
                let opts = CopyOptions {
                    verify,
                    buffer_count,
                    ..defaults
                };
                PEAK.store(0, std::sync::atomic::Ordering::Relaxed);
                std::thread::sleep(std::time::Duration::from_millis(20));
                let t = Instant::now();
                let report = copy_files(&jobs, &dests, &opts, &mut Control::none(), &mut |_| {}).unwrap();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                let methods: std::collections::BTreeSet<_> = report
                    .files
                    .outcomes()
                    .iter()
                    .map(|d| format!("{:?}/{:?}", d.status, d.method))
                    .collect();
                println!(
                    "copy n={n} {:?}: {ms:.1} ms {methods:?} pool allocations {} peak in use {} peak RssAnon {} KiB",
                    verify,
                    report.pool.allocations,
                    report.pool.peak_in_use,
                    PEAK.load(std::sync::atomic::Ordering::Relaxed)
                );
            }
        }
        _ => panic!("readback | copy"),
    }
}
