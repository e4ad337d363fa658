//! Probe: hash_file (16 MiB windows, a join per window) against one update_rayon over the
//! whole map, on a cached file; run with `cargo run --release --example window_probe FILE`.
use std::time::Instant;

use shutterproof_core::hash::{hash_file, Algorithm};
use shutterproof_core::Control;

fn main() {
    let path = std::env::args().nth(1).expect("file");
    let file = std::fs::File::open(&path).unwrap();
    // SAFETY: read-only map of a file nobody truncates during the probe.
    let map = unsafe { memmap2::Mmap::map(&file) }.unwrap();
    let mut a = Vec::new();
    let mut b = Vec::new();
    let mut c = Vec::new();
    let mut d = Vec::new();
    let mut e = Vec::new();
    let fresh = |window: usize| {
        let t = Instant::now();
        // SAFETY: as above.
        let m = unsafe { memmap2::Mmap::map(&file) }.unwrap();
        let mut h = blake3::Hasher::new();
        for w in m.chunks(window) {
            h.update_rayon(w);
        }
        h.finalize();
        t.elapsed().as_secs_f64() * 1e3
    };
    for _ in 0..9 {
        d.push(fresh(16 << 20));
        e.push(fresh(usize::MAX));
        let t = Instant::now();
        hash_file(path.as_ref(), &[Algorithm::Blake3], &mut Control::none()).unwrap();
        a.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        blake3::Hasher::new().update_rayon(&map).finalize();
        b.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        let mut h = blake3::Hasher::new();
        for w in map.chunks(64 << 20) {
            h.update_rayon(w);
        }
        h.finalize();
        c.push(t.elapsed().as_secs_f64() * 1e3);
    }
    for v in [&mut a, &mut b, &mut c, &mut d, &mut e] {
        v.sort_by(|x, y| x.partial_cmp(y).unwrap());
    }
    println!(
        "hash_file {:.1} ms | reused map: whole {:.1}, 64 MiB windows {:.1} | fresh map: 16 MiB windows {:.1}, whole {:.1} (ms, medians of 9)",
        a[4], b[4], c[4], d[4], e[4]
    );
}
