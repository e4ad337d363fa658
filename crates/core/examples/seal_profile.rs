//! Where the time of in-memory sealing goes (issue #8): raw AES-256-GCM per 16 KiB chunk
//! on one thread, the same spread over rayon, and `Encryptor::push` / `Decryptor::push`
//! with 16 MiB inputs. Run with `cargo run --release -p shutterproof-core --example
//! seal_profile` and read medians (the machine is shared).

use std::time::Instant;

use rayon::prelude::*;
use shutterproof_core::seal::cobblestone::{
    ChunkCipher, Decryptor, Encryptor, CHUNK_CT_SIZE, CHUNK_SIZE, TAG_LEN,
};
use shutterproof_core::seal::primitives::Aes256Gcm;

const PUSH: usize = 16 << 20;
const TOTAL: usize = 256 << 20;
const REPS: usize = 7;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn report(name: &str, bytes: usize, mut run: impl FnMut()) {
    run();
    let samples: Vec<f64> = (0..REPS)
        .map(|_| {
            let t = Instant::now();
            run();
            t.elapsed().as_secs_f64()
        })
        .collect();
    let m = median(samples.clone());
    let min = samples.iter().cloned().fold(f64::MAX, f64::min);
    println!(
        "{name:<58} median {:7.1} ms  {:5.2} GB/s  (min {:5.1} ms)",
        m * 1e3,
        bytes as f64 / m / 1e9,
        min * 1e3
    );
}

fn main() {
    let key = [7u8; 32];
    let plain: Vec<u8> = (0..PUSH).map(|i| (i * 31 % 251) as u8).collect();
    let rounds = TOTAL / PUSH;

    let aead = Aes256Gcm::new(&key).unwrap();
    let mut slab = plain.clone();
    report("raw AES-GCM, 16 KiB chunks, 1 thread, in place", TOTAL, || {
        for _ in 0..rounds {
            for (i, c) in slab.chunks_mut(CHUNK_SIZE).enumerate() {
                let mut nonce = [0u8; 12];
                nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
                std::hint::black_box(aead.seal(nonce, &[], c));
            }
        }
    });
    let cipher = ChunkCipher::raw(&key, [0; 12]).unwrap();
    let mut slots = vec![0u8; PUSH / CHUNK_SIZE * CHUNK_CT_SIZE];
    report("raw AES-GCM, 16 KiB chunks, rayon, in place", TOTAL, || {
        for _ in 0..rounds {
            slots
                .par_chunks_mut(CHUNK_CT_SIZE)
                .enumerate()
                .for_each(|(i, s)| {
                    let (body, tag) = s.split_at_mut(CHUNK_SIZE);
                    let t = aead.seal(cipher.nonce(i as u64), &[], body);
                    tag.copy_from_slice(&t);
                });
        }
    });
    report("memcpy 16 MiB into a reused buffer", TOTAL, || {
        for _ in 0..rounds {
            slab.copy_from_slice(&plain);
            std::hint::black_box(&slab);
        }
    });
    report(
        "fresh 16.02 MiB Vec per push, written once (page faults)",
        TOTAL,
        || {
            for _ in 0..rounds {
                let mut v = Vec::<u8>::with_capacity(PUSH + PUSH / 1024);
                v.extend_from_slice(&plain);
                std::hint::black_box(&v);
            }
        },
    );
    report("Encryptor::push 16 MiB, fresh out Vec per push", TOTAL, || {
        let mut out = Vec::new();
        let mut enc = Encryptor::with_salt(&key, &[1; 24], b"", &mut out).unwrap();
        for _ in 0..rounds {
            let mut out = Vec::new();
            enc.push(&plain, &mut out).unwrap();
            std::hint::black_box(&out);
        }
        enc.finish(&mut out).unwrap();
    });
    report("Encryptor::push 16 MiB, reused out Vec", TOTAL, || {
        let mut out = Vec::new();
        let mut enc = Encryptor::with_salt(&key, &[1; 24], b"", &mut out).unwrap();
        for _ in 0..rounds {
            out.clear();
            enc.push(&plain, &mut out).unwrap();
            std::hint::black_box(&out);
        }
        enc.finish(&mut out).unwrap();
    });

    let mut sealed = Vec::new();
    let mut enc = Encryptor::with_salt(&key, &[1; 24], b"", &mut sealed).unwrap();
    for _ in 0..rounds {
        enc.push(&plain, &mut sealed).unwrap();
    }
    enc.finish(&mut sealed).unwrap();
    report(
        "Decryptor::push 16 MiB pieces, fresh out Vec per push",
        TOTAL,
        || {
            let mut dec = Decryptor::new(&key, b"").unwrap();
            for piece in sealed.chunks(PUSH) {
                let mut out = Vec::new();
                dec.push(piece, &mut out).unwrap();
                std::hint::black_box(&out);
            }
            let mut out = Vec::new();
            dec.finish(&mut out).unwrap();
        },
    );
    let _ = TAG_LEN;
}
